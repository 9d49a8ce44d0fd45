/** What the history keeps: each of our messages with its delivery state, and broadcasts. */
import assert from "node:assert/strict";
import { type Rooms, rooms } from "../../src/peer/rooms/rooms.ts";
import type { ServiceFactory } from "../../src/peer/service.ts";
import { stopAll, waitFor, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";

type WithRooms = { rooms: ServiceFactory<Rooms> };

Deno.test("history: our messages show delivered, queued or failed; broadcasts are kept on both sides", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer<WithRooms>(address, "alice", { services: { rooms: rooms() } });
  const bob = await startPeer<WithRooms>(address, "bob", { services: { rooms: rooms() } });
  const carolDir = await Deno.makeTempDir({ prefix: "tincan-carol-" });
  try {
    const carol = await startPeer(address, "carol", { profileDir: carolDir });
    await carol.stop();
    await alice.peer.follow(["bob"]); // presence is by interest: strangers hear nothing
    await waitFor("bob online for alice", () => alice.peer.online().includes("bob"));

    const delivered = await alice.peer.send("bob", "direct hello");
    await alice.next("delivered", (e) => e.id === delivered);
    const queued = await alice.peer.send("carol", "while you are out");
    await alice.next("queued", (e) => e.id === queued);
    const failed = await alice.peer.send("nobody", "into the void");
    await alice.next("failed", (e) => e.id === failed);
    await alice.peer.services.rooms.broadcast("hello everyone");
    await waitFor(
      "bob got the broadcast",
      async () => (await bob.peer.history("alice", 10)).some((l) => l.broadcast),
    );

    const states = (await alice.peer.history(undefined, 10)).map((l) => [
      l.peer,
      l.text,
      l.broadcast,
      l.delivery?.status,
    ]);
    assert.deepEqual(states.slice(0, 3), [
      ["bob", "direct hello", false, "delivered"],
      ["carol", "while you are out", false, "queued"],
      ["nobody", "into the void", false, "failed"],
    ]);
    // The broadcast went to bob, the one online: kept once per recipient.
    await waitFor(
      "the broadcast delivered",
      async () => (await alice.peer.history("bob", 10)).at(-1)?.delivery?.status === "delivered",
    );
    const toBob = (await alice.peer.history("bob", 10)).at(-1)!;
    assert.deepEqual([toBob.text, toBob.broadcast], ["hello everyone", true]);
    assert.match(
      (await alice.peer.history("nobody", 10))[0]!.delivery?.error ?? "",
      /nobody/,
    );
    const got = (await bob.peer.history("alice", 10)).map((l) => [l.text, l.broadcast, l.delivery]);
    assert.deepEqual(got, [["direct hello", false, undefined], [
      "hello everyone",
      true,
      undefined,
    ]]);
  } finally {
    await stopAll(alice, bob, rendezvous);
    await Deno.remove(carolDir, { recursive: true });
  }
});
