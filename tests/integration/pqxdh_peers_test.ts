/**
 * PQXDH between real peers through a real rendezvous: sessions start with PQXDH; the one-time
 * ML-KEM pool drains to the last-resort key and refills at the next login; a peer that uploads
 * without KEM prekeys (an older version) gets X3DH, said plainly; a rendezvous that strips the
 * KEM prekeys of a user who had them is flagged as a downgrade on both sides.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { PrekeyKind } from "../../src/crypto/prekeys.ts";
import { lookupUser, uploadPrekeys } from "../../src/peer/clients/directory.ts";
import { OwnKemKeyStore } from "../../src/peer/store/own_kem_keys.ts";
import { OwnKeyStore, publicForm } from "../../src/peer/store/own_keys.ts";
import { KEM_ONE_TIME_POOL } from "../../src/peer/prekey_manager.ts";
import { loggedInClient, stopAll, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

/** The one-time ML-KEM prekeys `peer` still holds locally. */
function kemOneTimeHeld(peer: TestPeer): number {
  return new OwnKemKeyStore(peer.profile.db, peer.profile.storageKey).count(PrekeyKind.KemOneTime);
}

/** `from` sends `text` to `to`; resolves once `to` has it. */
async function deliver(from: TestPeer, to: TestPeer, text: string): Promise<void> {
  const id = await from.peer.send(to.peer.username, text);
  assert.equal((await to.next("message", (m) => m.id === id)).text, text);
  await from.next("delivered", (d) => d.id === id);
}

Deno.test("PQXDH: two peers establish a PQXDH session through a real rendezvous", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  try {
    assert.equal(alice.peer.sessionProtocol("bob"), "none");
    assert.equal(kemOneTimeHeld(bob), KEM_ONE_TIME_POOL, "bob published a full KEM pool");
    await deliver(alice, bob, "hello bob, after quantum computers too");
    assert.equal(alice.peer.sessionProtocol("bob"), "pqxdh");
    assert.equal(bob.peer.sessionProtocol("alice"), "pqxdh");
    assert.equal(kemOneTimeHeld(bob), KEM_ONE_TIME_POOL - 1, "the used one-time KEM key is gone");
    await deliver(bob, alice, "hi alice");
    await deliver(alice, bob, "and on with the ratchet");
    const noted = [...alice.events, ...bob.events].filter((e) => e.type === "x3dh-session");
    assert.deepEqual(noted, [], "no X3DH session was started");
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("PQXDH: the one-time KEM pool drains to the last-resort key, and refills at the next login", async () => {
  const { rendezvous, address } = await withRendezvous();
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  let bob = await startPeer(address, "bob", { profileDir: bobDir });
  const drainer = await loggedInClient(address, "drainer");
  const alice = await startPeer(address, "alice");
  const carol = await startPeer(address, "carol");
  try {
    // 99 first contacts that never write (bundles fetched), then alice gets the last one-time
    // KEM prekey and carol, one contact too many, the last-resort one.
    for (let i = 0; i < KEM_ONE_TIME_POOL - 1; i++) {
      assert.ok((await lookupUser(drainer, address, "bob")).kemOneTimePrekey);
    }
    await deliver(alice, bob, "the last one-time KEM key");
    assert.equal(kemOneTimeHeld(bob), KEM_ONE_TIME_POOL - 1);
    const empty = await lookupUser(drainer, address, "bob", { withoutOneTimePrekey: true });
    assert.equal(empty.kemOneTimePrekeysLeft, 0);
    assert.ok(empty.kemLastResortPrekey, "the last-resort KEM prekey stands in");

    await deliver(carol, bob, "the last-resort KEM key");
    assert.equal(carol.peer.sessionProtocol("bob"), "pqxdh", "still PQXDH with the pool empty");
    assert.equal(bob.peer.sessionProtocol("carol"), "pqxdh");
    assert.equal(kemOneTimeHeld(bob), KEM_ONE_TIME_POOL - 1, "no one-time KEM key was used");

    await bob.stop();
    bob = await startPeer(address, "bob", { profileDir: bobDir });
    const refilled = await lookupUser(drainer, address, "bob", { withoutOneTimePrekey: true });
    assert.equal(refilled.kemOneTimePrekeysLeft, KEM_ONE_TIME_POOL);
    assert.equal(kemOneTimeHeld(bob), 2 * KEM_ONE_TIME_POOL - 1, "the handed-out ones are kept");
    await deliver(bob, carol, "still talking after the refill");
  } finally {
    await stopAll(alice, bob, carol, drainer, rendezvous);
  }
});

Deno.test("PQXDH: a peer that uploads without KEM prekeys (an older version) gets X3DH, said plainly", async () => {
  const { rendezvous, address } = await withRendezvous();
  const bob = await startPeer(address, "bob");
  const alice = await startPeer(address, "alice");
  try {
    // Bob's keys as a version without PQXDH uploads them: the rendezvous drops his KEM prekeys.
    const keys = new OwnKeyStore(bob.profile.db, bob.profile.storageKey);
    const left = await uploadPrekeys(bob.peer.node, address, {
      identityDhKey: publicForm(keys.get(PrekeyKind.IdentityDh, 0)!),
      signedPrekey: publicForm(keys.newest(PrekeyKind.Signed)!),
      oneTimePrekeys: [],
    });
    assert.equal(left.kemOneTime, 0);

    await deliver(alice, bob, "classic then");
    assert.equal(alice.peer.sessionProtocol("bob"), "x3dh");
    assert.equal(bob.peer.sessionProtocol("alice"), "x3dh");
    const aliceSaw = await alice.next("x3dh-session", (e) => e.username === "bob");
    assert.equal(aliceSaw.downgrade, false, "bob never published KEM keys to alice");
    const bobSaw = await bob.next("x3dh-session", (e) => e.username === "alice");
    assert.equal(bobSaw.downgrade, false);
    await deliver(bob, alice, "and back");
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("PQXDH: a rendezvous that strips the KEM prekeys of a user who had them is flagged as a downgrade", async () => {
  const { rendezvous, address, dataDir } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  try {
    await deliver(alice, bob, "post-quantum first");
    assert.equal(alice.peer.sessionProtocol("bob"), "pqxdh");

    // The rendezvous turns hostile: bob's KEM prekeys vanish from its answers (his own uploads
    // still carried them). And alice needs a new session (she lost hers with bob).
    const tampered = new DatabaseSync(join(dataDir, "rendezvous.db"));
    try {
      tampered.exec(`
        UPDATE identity_prekeys SET kem_last_resort = NULL WHERE username = 'bob';
        DELETE FROM kem_one_time_prekeys WHERE username = 'bob';
      `);
    } finally {
      tampered.close();
    }
    alice.profile.db.prepare("DELETE FROM sessions WHERE username = 'bob'").run();

    await deliver(alice, bob, "was this downgraded?");
    const aliceSaw = await alice.next("x3dh-session", (e) => e.username === "bob");
    assert.equal(aliceSaw.downgrade, true, "alice had seen bob's KEM keys before");
    assert.equal(alice.peer.sessionProtocol("bob"), "x3dh-downgraded");
    const bobSaw = await bob.next("x3dh-session", (e) => e.username === "alice");
    assert.equal(bobSaw.downgrade, true, "bob had a PQXDH session with alice before");
    assert.equal(bob.peer.sessionProtocol("alice"), "x3dh-downgraded");
    await deliver(bob, alice, "the messages still flow (not held)");
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});
