/** The sessions table's compare-and-set, across two connections to one peer.db (two processes). */
import assert from "node:assert/strict";
import { StaleStateError } from "../../../src/peer/store/compare_and_set.ts";
import { RatchetSessionStore } from "../../../src/peer/store/ratchet_sessions.ts";
import { withTwoConnections } from "./two_processes.ts";

Deno.test("sessions: a save derived from a version the row no longer has is refused", async () => {
  await withTwoConnections((one, two) => {
    const a = new RatchetSessionStore(one);
    const b = new RatchetSessionStore(two);
    const fresh = {
      username: "bob",
      sessionId: Uint8Array.of(1),
      identityKey: Uint8Array.of(2),
      state: Uint8Array.of(0),
      updatedAt: 1,
    };
    a.save(fresh);
    assert.throws(() => b.save(fresh), StaleStateError, "a new session is inserted once");
    const [readByA] = a.list("bob", fresh.identityKey);
    const [readByB] = b.list("bob", fresh.identityKey);
    a.save({ ...readByA!, state: Uint8Array.of(1), updatedAt: 2 });
    assert.throws(
      () => b.save({ ...readByB!, state: Uint8Array.of(9), updatedAt: 2 }),
      StaleStateError,
    );
    const [stored] = b.list("bob", fresh.identityKey);
    assert.deepEqual(stored!.state, Uint8Array.of(1));
    b.save({ ...stored!, state: Uint8Array.of(2), updatedAt: 3 });
    assert.deepEqual(a.list("bob", fresh.identityKey)[0]!.state, Uint8Array.of(2));
  });
});
