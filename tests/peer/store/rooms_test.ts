/** The room_chains table's compare-and-set, across two connections to one peer.db. */
import assert from "node:assert/strict";
import { StaleStateError } from "../../../src/peer/store/compare_and_set.ts";
import { RoomStore } from "../../../src/peer/store/rooms.ts";
import { withTwoConnections } from "./two_processes.ts";

Deno.test("room chains: a chain derived from a version the row no longer has is refused", async () => {
  await withTwoConnections((one, two) => {
    const a = new RoomStore(one);
    const b = new RoomStore(two);
    const roomId = Uint8Array.of(7);
    a.add({ roomId, localName: "#r", status: "joined", list: Uint8Array.of(0), inviter: "" }, 1);
    a.setShared(roomId, "me", 3); // a row without a chain is still version 0
    assert.equal(a.chain(roomId, "me")!.version, 0);
    a.setChain(roomId, "me", Uint8Array.of(1), 0);
    assert.throws(() => b.setChain(roomId, "me", Uint8Array.of(9), 0), StaleStateError);
    const version = b.chain(roomId, "me")!.version;
    a.setChain(roomId, "me", Uint8Array.of(2), version);
    assert.throws(() => b.setChain(roomId, "me", Uint8Array.of(9), version), StaleStateError);
    assert.deepEqual(b.chain(roomId, "me")!.chain, Uint8Array.of(2));
    assert.equal(b.chain(roomId, "me")!.sharedGeneration, 3);
    a.dropMember(roomId, "me");
    assert.throws(() => a.setChain(roomId, "me", Uint8Array.of(3), version + 1), StaleStateError);
  });
});
