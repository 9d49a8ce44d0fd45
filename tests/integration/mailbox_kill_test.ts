/**
 * Mail is committed before its deposit is acknowledged: a rendezvous killed with SIGKILL right
 * after acknowledging a deposit still holds it when it starts again, and the recipient gets it.
 */
import assert from "node:assert/strict";
import { freePort, spawnRendezvous } from "./rendezvous_process.ts";
import { stopAll } from "./harness.ts";
import { mailCount } from "./mailbox_helpers.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

Deno.test("mailbox: a deposit acknowledged just before a kill -9 of the rendezvous is delivered after it restarts", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tincan-kill-" });
  const port = freePort();
  let rendezvous = await spawnRendezvous(dataDir, port, "kill-test");
  const peers: TestPeer[] = [];
  try {
    const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
    const firstBob = await startPeer(rendezvous.address, "bob", { profileDir: bobDir });
    await firstBob.stop();
    const alice = await startPeer(rendezvous.address, "alice");
    peers.push(alice);
    const id = await alice.peer.send("bob", "survive the crash");
    await alice.next("queued", (q) => q.id === id);
    const killed = await rendezvous.kill("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    await alice.stop();
    assert.equal(mailCount(dataDir, "bob"), 1, "the mail is on disk after the kill");

    rendezvous = await spawnRendezvous(dataDir, port, "kill-test");
    const bob = await startPeer(rendezvous.address, "bob", { profileDir: bobDir });
    peers.push(bob);
    const got = await bob.next("message", (m) => m.id === id);
    assert.equal(got.text, "survive the crash");
    assert.equal(got.via, "mailbox");
  } finally {
    await stopAll(...peers);
    await rendezvous.kill("SIGTERM").catch(() => {});
    await Deno.remove(dataDir, { recursive: true });
  }
});
