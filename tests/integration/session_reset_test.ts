/**
 * Session recovery with two real peers: bob's peer.db is lost while alice's message waits in his
 * mailbox; the profile refuses to start until repaired; after `repair` (same identity) bob has no
 * session for alice's envelopes, asks her (SESSION_RESET) to start a new one, and nothing of what
 * alice had not had acknowledged is lost. Both are told once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { PeerEvent } from "../../src/peer/events.ts";
import { openProfile } from "../../src/peer/profile.ts";
import { ProfileError } from "../../src/peer/profile_errors.ts";
import { repairProfile } from "../../src/peer/profile_repair.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

function notices(events: PeerEvent[], text: RegExp): number {
  return events.filter((e) => e.type === "notice" && text.test(e.text)).length;
}

Deno.test("a lost peer.db: refused, repaired, then a session reset brings alice's messages through", async () => {
  const { rendezvous, address } = await withRendezvous();
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  const alice = await startPeer(address, "alice");
  const firstBob = await startPeer(address, "bob", { profileDir: bobDir });
  let bob: TestPeer | undefined;
  try {
    const hello = await alice.peer.send("bob", "hello");
    await alice.next("delivered", (e) => e.id === hello);
    const hi = await firstBob.peer.send("alice", "hi");
    await firstBob.next("delivered", (e) => e.id === hi);
    await firstBob.stop();

    // Written on the old session while bob is away: it waits in his mailbox.
    const away = await alice.peer.send("bob", "while you were away");
    await alice.next("queued", (e) => e.id === away, 30_000);

    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(join(bobDir, `peer.db${suffix}`)).catch(() => {});
    }
    await assert.rejects(() => openProfile(bobDir), (err: unknown) => {
      assert.ok(err instanceof ProfileError);
      assert.match(err.message, /peer\.db: it is missing/);
      return true;
    });
    assert.equal((await repairProfile(bobDir)).repaired, true);

    bob = await startPeer(address, "bob", { profileDir: bobDir });
    assert.equal(bob.profile.peerId.toString(), firstBob.profile.peerId.toString());
    await alice.next("delivered", (e) => e.id === away, 30_000);
    await bob.next("message", (m) => m.id === away);

    const after = await alice.peer.send("bob", "after the reset");
    await alice.next("delivered", (e) => e.id === after, 30_000);
    const reply = await bob.peer.send("alice", "back again");
    await alice.next("message", (m) => m.id === reply, 30_000);

    assert.deepEqual((await bob.peer.history("alice", 10)).map((h) => h.text), [
      "while you were away",
      "after the reset",
      "back again",
    ]);
    assert.ok(!alice.events.some((e) => e.type === "failed"), JSON.stringify(alice.events));
    assert.equal(notices(alice.events, /bob's device has no session with you any more/), 1);
    assert.equal(notices(bob.events, /could not be decrypted: this profile has no session/), 1);
  } finally {
    await stopAll(bob, firstBob, alice, rendezvous);
  }
});
