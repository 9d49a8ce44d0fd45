/**
 * A rogue rendezvous: a real rendezvous whose database is tampered with while it runs. It deletes
 * bob's account and lets mallory register `bob` with her own key, or certifies a key for bob that
 * its key log never recorded. Alice must be told what happened (not merely "the key changed"),
 * must see mallory's messages as from an untrusted key, and must never have the messages she
 * wrote for the real bob sent to mallory by a trust decision.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { fromHex } from "../../src/crypto/bytes.ts";
import { FingerprintMismatchError } from "../../src/peer/contact_trust.ts";
import { OutboxStore } from "../../src/peer/store/outbox.ts";
import { stopAll, waitFor, withRendezvous } from "./harness.ts";
import { converse, startPeer, type TestPeer } from "./peer_harness.ts";

/** Runs `sql` on the rendezvous's database behind its back (the rogue operator). */
function tamper(dataDir: string, sql: string, ...params: (string | Uint8Array)[]): void {
  const db = new DatabaseSync(join(dataDir, "rendezvous.db"));
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA foreign_keys = ON");
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

function outboxStatus(peer: TestPeer, id: string) {
  return new OutboxStore(peer.profile.db).get(fromHex(id))?.status;
}

Deno.test("rogue rendezvous: bob's account re-created for mallory — alice is told, mallory's messages are untrusted, held ones never go to her", async () => {
  const { rendezvous, address, dataDir } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  let mallory: TestPeer | undefined;
  try {
    await converse(alice, bob);
    await bob.stop();
    tamper(dataDir, "DELETE FROM accounts WHERE username = ?", "bob");
    mallory = await startPeer(address, "bob"); // a fresh key registers the free name

    const secret = await alice.peer.send("bob", "for the real bob only");
    const changed = await alice.next("key-changed", (k) => k.username === "bob");
    assert.match(changed.detail ?? "", /^bob's account was re-created at the rendezvous on \d{4}-/);
    await waitFor("the message held", () => outboxStatus(alice, secret) === "held");
    const whois = await alice.peer.whois("bob");
    assert.equal(whois.keyLogVerified, false);
    assert.equal(whois.problem?.kind, "recreated");
    assert.equal(whois.pendingFingerprint, whois.certified.fingerprint);
    assert.notEqual(whois.pinned?.fingerprint, whois.certified.fingerprint);

    // Mallory writes as bob: shown as from an untrusted key, not as bob.
    const lure = await mallory.peer.send("alice", "it's me, bob, new laptop");
    const got = await alice.next("message", (m) => m.id === lure);
    assert.equal(got.trusted, false);
    assert.equal(got.keyChanged, true);
    const stored = (await alice.peer.history("bob", 10)).find((l) => l.id === lure);
    assert.equal(stored?.untrusted, true, "mallory's message is in the history as bob's");

    // Alice trusts the new key after all (she was fooled): the held message stays held.
    const pending = alice.peer.pendingKey("bob");
    assert.ok(pending);
    assert.equal(alice.peer.trust("bob", pending.fingerprint), 1);
    assert.deepEqual((await alice.peer.heldMessages("bob")).map((m) => m.text), [
      "for the real bob only",
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(outboxStatus(alice, secret), "held");
    assert.equal(mallory.events.some((e) => e.type === "message" && e.id === secret), false);

    assert.equal(alice.peer.discardHeld("bob"), 1);
    const failed = await alice.next("failed", (f) => f.id === secret);
    assert.match(failed.reason, /discarded/);
    // What she writes now goes to the key she trusted.
    const after = await alice.peer.send("bob", "written after trusting");
    await mallory.next("message", (m) => m.id === after);
    assert.equal(mallory.events.some((e) => e.type === "message" && e.id === secret), false);
  } finally {
    await stopAll(alice, bob, mallory, rendezvous);
  }
});

Deno.test("rogue rendezvous: a key it certifies for bob but never logged is shown as a key change missing from the log", async () => {
  const { rendezvous, address, dataDir } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  try {
    await converse(alice, bob);
    const forged = await generateKeyPair("Ed25519");
    tamper(
      dataDir,
      "UPDATE accounts SET identity_key = ? WHERE username = ?",
      forged.publicKey.raw,
      "bob",
    );
    await bob.stop(); // so that alice looks bob up again rather than using the open link

    const id = await alice.peer.send("bob", "where are you?");
    const changed = await alice.next("key-changed", (k) => k.username === "bob");
    assert.match(changed.detail ?? "", /a key change missing from the log/);
    await waitFor("the message held", () => outboxStatus(alice, id) === "held");
    const whois = await alice.peer.whois("bob");
    assert.equal(whois.problem?.kind, "unlogged");
    assert.equal(whois.keyLog.length, 1);

    // Alice is shown the new key's fingerprint; before she confirms it, the rendezvous swaps the
    // key again. Her confirmation of what she saw must not trust the other key.
    const shown = alice.peer.pendingKey("bob");
    assert.ok(shown);
    const swapped = await generateKeyPair("Ed25519");
    tamper(
      dataDir,
      "UPDATE accounts SET identity_key = ? WHERE username = ?",
      swapped.publicKey.raw,
      "bob",
    );
    await alice.peer.whois("bob"); // any lookup records the key now certified as pending
    assert.notEqual(alice.peer.pendingKey("bob")?.fingerprint, shown.fingerprint);
    assert.throws(() => alice.peer.trust("bob", shown.fingerprint), FingerprintMismatchError);
    assert.throws(() => alice.peer.trust("bob", shown.safetyNumber), FingerprintMismatchError);
    assert.equal(outboxStatus(alice, id), "held");
    // Nor can /verify be confirmed with a number that is not the current one.
    assert.throws(
      () => alice.peer.markVerified("bob", shown.safetyNumber),
      FingerprintMismatchError,
    );
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});
