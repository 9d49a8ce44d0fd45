import assert from "node:assert/strict";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";

Deno.test("peers log in again by themselves after the rendezvous restarts", async () => {
  const first = await withRendezvous();
  const port = first.address.toString().match(/\/tcp\/(\d+)\//)![1];
  const alice = await startPeer(first.address, "alice");
  const bob = await startPeer(first.address, "bob");
  let second: Awaited<ReturnType<typeof withRendezvous>> | undefined;
  try {
    await alice.peer.follow(["bob"]); // presence is by interest: strangers hear nothing
    await alice.next("presence", (p) => p.username === "bob" && p.online);
    await first.rendezvous.stop();
    await alice.next("notice", (n) => /lost the connection/.test(n.text));
    second = await withRendezvous({
      dataDir: first.dataDir,
      listen: [`/ip4/127.0.0.1/tcp/${port}`],
    });
    assert.equal(second.address.toString(), first.address.toString());
    await alice.next("notice", (n) => /reconnected/.test(n.text), 30_000);
    await bob.next("notice", (n) => /reconnected/.test(n.text), 30_000);
    const id = await alice.peer.send("bob", "after the restart");
    assert.equal((await bob.next("message", (m) => m.id === id)).text, "after the restart");
    await alice.next("delivered", (d) => d.id === id);
  } finally {
    await stopAll(alice, bob, second?.rendezvous, first.rendezvous);
  }
});
