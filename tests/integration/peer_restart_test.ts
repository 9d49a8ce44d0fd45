/**
 * Restarts with messages in flight: nothing is lost and nothing is shown twice, whether the
 * receiver or the sender restarts (with the same profile) before the acknowledgements arrive.
 */
import assert from "node:assert/strict";
import type { PeerEvent } from "../../src/peer/events.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

/** How many times each message id was shown across `events` lists. */
function shownCounts(...events: PeerEvent[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events.flat()) {
    if (event.type === "message") counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  }
  return counts;
}

/** A temporary profile directory, reused across restarts. */
async function profileDir(username: string): Promise<string> {
  return await Deno.makeTempDir({ prefix: `tincan-${username}-` });
}

Deno.test("the receiver restarts with messages in flight: each arrives exactly once", async () => {
  const { rendezvous, address } = await withRendezvous();
  const bobDir = await profileDir("bob");
  const alice = await startPeer(address, "alice");
  const firstBob = await startPeer(address, "bob", { profileDir: bobDir });
  let secondBob: TestPeer | undefined;
  try {
    const hello = await alice.peer.send("bob", "hello");
    await firstBob.next("message", (m) => m.id === hello);
    await alice.next("delivered", (d) => d.id === hello);

    const texts = Array.from({ length: 8 }, (_, i) => `in flight ${i}`);
    const ids: string[] = [];
    // The first half is sent while bob runs, and bob stops without waiting for any of it.
    for (const text of texts.slice(0, 4)) ids.push(await alice.peer.send("bob", text));
    await firstBob.stop();
    // The second half is written while bob is away.
    for (const text of texts.slice(4)) ids.push(await alice.peer.send("bob", text));

    const bob = secondBob = await startPeer(address, "bob", { profileDir: bobDir });
    for (const id of ids) await alice.next("delivered", (d) => d.id === id, 30_000);

    const history = await bob.peer.history("alice", 100);
    assert.deepEqual(history.map((h) => h.text), ["hello", ...texts]);
    assert.equal(new Set(history.map((h) => h.id)).size, history.length);
    const shown = shownCounts(firstBob.events, bob.events);
    for (const id of [hello, ...ids]) assert.equal(shown.get(id), 1, `message ${id} shown once`);
    assert.equal(alice.events.filter((e) => e.type === "failed").length, 0);

    // The conversation goes on both ways after the restart.
    const reply = await bob.peer.send("alice", "back again");
    assert.equal((await alice.next("message", (m) => m.id === reply)).text, "back again");
    const more = await alice.peer.send("bob", "welcome back");
    assert.equal((await bob.next("message", (m) => m.id === more)).text, "welcome back");
  } finally {
    await stopAll(alice, firstBob, secondBob, rendezvous);
  }
});

Deno.test("the sender restarts before the acknowledgements: its outbox is delivered", async () => {
  const { rendezvous, address } = await withRendezvous();
  const aliceDir = await profileDir("alice");
  const bobDir = await profileDir("bob");
  const firstAlice = await startPeer(address, "alice", { profileDir: aliceDir });
  const firstBob = await startPeer(address, "bob", { profileDir: bobDir });
  let secondAlice: TestPeer | undefined;
  let secondBob: TestPeer | undefined;
  try {
    const hello = await firstAlice.peer.send("bob", "hello");
    await firstBob.next("message", (m) => m.id === hello);
    await firstAlice.next("delivered", (d) => d.id === hello);
    await firstBob.stop();

    const texts = Array.from({ length: 5 }, (_, i) => `from the outbox ${i}`);
    const ids: string[] = [];
    for (const text of texts) ids.push(await firstAlice.peer.send("bob", text));
    await firstAlice.stop(); // with every one of them unacknowledged

    const bob = secondBob = await startPeer(address, "bob", { profileDir: bobDir });
    const alice = secondAlice = await startPeer(address, "alice", { profileDir: aliceDir });
    for (const id of ids) {
      await bob.next("message", (m) => m.id === id, 30_000);
      await alice.next("delivered", (d) => d.id === id, 30_000);
    }
    const history = await bob.peer.history("alice", 100);
    assert.deepEqual(history.map((h) => h.text), ["hello", ...texts]);
    const shown = shownCounts(firstBob.events, bob.events);
    for (const id of [hello, ...ids]) assert.equal(shown.get(id), 1, `message ${id} shown once`);
    assert.deepEqual(
      (await alice.peer.history("bob", 100)).map((h) => h.text),
      ["hello", ...texts],
    );

    const reply = await bob.peer.send("alice", "got them all");
    assert.equal((await alice.next("message", (m) => m.id === reply)).text, "got them all");
  } finally {
    await stopAll(firstAlice, firstBob, secondAlice, secondBob, rendezvous);
  }
});
