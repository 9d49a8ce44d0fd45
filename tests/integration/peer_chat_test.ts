import assert from "node:assert/strict";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";
import type { ContentMessage } from "../../src/peer/service.ts";

Deno.test("two peers chat both ways, end to end encrypted, with acknowledgements", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  try {
    const id = await alice.peer.send("bob", "hello bob");
    const got = await bob.next("message", (m) => m.id === id);
    assert.equal(got.from, "alice");
    assert.equal(got.to, "bob");
    assert.equal(got.text, "hello bob");
    assert.equal(got.keyChanged, false);
    await alice.next("delivered", (d) => d.id === id);

    const reply = await bob.peer.send("alice", "hi alice");
    assert.equal((await alice.next("message", (m) => m.id === reply)).text, "hi alice");
    await bob.next("delivered", (d) => d.id === reply);

    for (let i = 0; i < 5; i++) await alice.peer.send("bob", `burst ${i}`);
    for (let i = 0; i < 5; i++) {
      await bob.next("message", (m) => m.text === `burst ${i}`);
    }
    const history = await bob.peer.history("alice", 10);
    assert.deepEqual(history.map((h) => h.text), [
      "hello bob",
      "hi alice",
      "burst 0",
      "burst 1",
      "burst 2",
      "burst 3",
      "burst 4",
    ]);
    assert.equal(await alice.peer.safetyNumber("bob"), await bob.peer.safetyNumber("alice"));
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("registering a name someone else owns says it is taken", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  try {
    await assert.rejects(
      () => startPeer(address, "alice", { password: "another password" }),
      /Cannot register alice: the name is taken/,
    );
  } finally {
    await stopAll(alice, rendezvous);
  }
});

Deno.test("another feature's content reaches the handler of its kind; an unknown kind fails", async () => {
  const { rendezvous, address } = await withRendezvous();
  const seen: { from: string; payload: number[] }[] = [];
  const test = () => ({
    contentHandlers: {
      "test/bytes": (m: ContentMessage) => {
        seen.push({ from: m.from, payload: [...m.payload] });
      },
    },
  });
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob", { services: { test } });
  try {
    const id = await alice.peer.sendContent("bob", "test/bytes", Uint8Array.of(1, 2, 3));
    await alice.next("delivered", (d) => d.id === id);
    assert.deepEqual(seen, [{ from: "alice", payload: [1, 2, 3] }]);
    assert.equal(bob.events.filter((e) => e.type === "message").length, 0);

    const other = await alice.peer.sendContent("bob", "test/unknown", Uint8Array.of(9));
    const failed = await alice.next("failed", (f) => f.id === other);
    assert.match(failed.reason, /does not handle "test\/unknown"/);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});
