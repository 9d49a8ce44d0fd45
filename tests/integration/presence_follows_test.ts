/**
 * Whom a peer follows at the rendezvous, on real nodes: the members of a room it leaves are
 * unfollowed (unless we talked to them, or another room still needs them), and going over
 * MAX_FOLLOWED is told to the user as a notice, not only logged.
 */
import assert from "node:assert/strict";
import { MAX_FOLLOWED } from "../../src/protocol/limits.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";
import { member, until } from "./room_members.ts";

Deno.test("presence: declining a room unfollows its members we never talked to; those we did stay followed", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await member(address, "alice");
  const bob = await member(address, "bob");
  const carol = await member(address, "carol");
  try {
    await alice.t.peer.send("bob", "hi bob"); // alice and bob talk; carol is only in the room
    await bob.t.next("message", (e) => e.text === "hi bob");
    await alice.rooms.create("#ops");
    await alice.rooms.invite("bob", "#ops");
    await alice.rooms.invite("carol", "#ops");
    await until("bob's invitation", () => bob.events.some((e) => e.type === "room-invite"));
    // Invited, bob follows the room's members: carol's away text reaches him.
    await until("bob sees carol online", () => bob.t.peer.online().includes("carol"));
    await carol.t.peer.setAway("first");
    await bob.t.next("presence", (e) => e.username === "carol" && e.away === "first");

    await bob.rooms.leave("#ops");
    await bob.t.peer.listOnline(); // answered after the UNFOLLOW the leave sent
    assert.deepEqual(bob.t.peer.online(), ["alice"], "carol is no longer followed");
    const listed = bob.t.peer.contacts().find((c) => c.username === "carol");
    assert.equal(listed?.online, undefined, "carol's key is pinned, her presence not followed");
    await carol.t.peer.setAway("second"); // not for bob any more …
    await alice.t.peer.setAway("later"); // … while alice, whom he talked to, still is
    await bob.t.next("presence", (e) => e.username === "alice" && e.away === "later");
    assert.ok(
      !bob.t.events.some((e) =>
        e.type === "presence" && e.username === "carol" && e.away === "second"
      ),
      "bob heard of carol after declining",
    );
  } finally {
    await stopAll(alice.t, bob.t, carol.t, rendezvous);
  }
});

Deno.test("presence: a new contact over MAX_FOLLOWED is a notice to the user, not only a log line", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  try {
    const others = Array.from({ length: MAX_FOLLOWED }, (_, i) => `user-${i}`);
    await alice.peer.follow(others);
    await bob.peer.send("alice", "hello");
    await alice.next("message", (e) => e.text === "hello");
    const notice = await alice.next("notice", (e) => /Cannot follow/.test(e.text));
    assert.equal(
      notice.text,
      `Cannot follow ${MAX_FOLLOWED + 1} users' presence: at most ${MAX_FOLLOWED} (contacts ` +
        "and room members); the newest are not followed",
    );
    await assert.rejects(alice.peer.follow(["carol"]), RangeError);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});
