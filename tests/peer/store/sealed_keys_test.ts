/**
 * A thief with the disk reads peer.db as bytes: our private keys, ML-KEM seeds and ratchet states
 * must not be there in plaintext — neither in a new profile nor in one written before they were
 * sealed, which is sealed once when it is opened (crash-safe), and still decrypts its messages.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PrekeyKind } from "../../../src/crypto/prekeys.ts";
import { DecryptionError, generateX25519KeyPair } from "../../../src/crypto/primitives.ts";
import { ratchetDecrypt, ratchetInitBob } from "../../../src/crypto/ratchet.ts";
import {
  deserializeRatchetState,
  serializeRatchetState,
} from "../../../src/crypto/ratchet_state.ts";
import { generateKemKeyPair } from "../../../src/crypto/kem.ts";
import { openProfile, type Profile } from "../../../src/peer/profile.ts";
import { OwnKemKeyStore } from "../../../src/peer/store/own_kem_keys.ts";
import { OwnKeyStore } from "../../../src/peer/store/own_keys.ts";
import { RatchetSessionStore } from "../../../src/peer/store/ratchet_sessions.ts";
import { keysSealed, sealExistingKeys, unopenedKeys } from "../../../src/peer/store/sealed_keys.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openDatabase, selectAll } from "../../../src/store/database.ts";
import { onDisk } from "../../store/on_disk.ts";
import { type OldProfile, oldProfile, stateSecrets } from "./old_profile.ts";

/** Every secret of `old` that a thief with the disk must not find in plaintext. */
function secretsOf(old: OldProfile): [string, Uint8Array][] {
  return [
    ["the identity-DH private key", old.identityDh.privateKey],
    ["the signed prekey's private key", old.signed.privateKey],
    ...old.oneTime.map((k, i): [string, Uint8Array] => [`one-time prekey ${i + 1}`, k.privateKey]),
    ["the ML-KEM seed", old.kem.seed],
    ...stateSecrets(old.state).map((k, i): [string, Uint8Array] => [`ratchet secret ${i}`, k]),
  ];
}

async function assertNotOnDisk(old: OldProfile): Promise<void> {
  for (const [what, secret] of secretsOf(old)) {
    assert.equal(await onDisk(old.dbPath, secret), false, `${what} is on disk in plaintext`);
  }
}

/** Asserts that `profile` holds old's keys and that its session decrypts alice's message. */
async function assertStillWorks(profile: Profile, old: OldProfile): Promise<void> {
  const keys = new OwnKeyStore(profile.db, profile.storageKey);
  assert.deepEqual(keys.get(PrekeyKind.IdentityDh, 0)?.pair, old.identityDh);
  assert.deepEqual(keys.get(PrekeyKind.Signed, 1)?.pair, old.signed);
  assert.deepEqual(keys.get(PrekeyKind.OneTime, 2)?.pair, old.oneTime[1]);
  const kem = new OwnKemKeyStore(profile.db, profile.storageKey).get(PrekeyKind.KemLastResort, 7);
  assert.deepEqual(kem?.pair, old.kem);
  const [session] = new RatchetSessionStore(profile.db, profile.storageKey).list(
    "alice",
    old.aliceKey,
  );
  assert.ok(session);
  const { plaintext } = await ratchetDecrypt(
    deserializeRatchetState(session.state),
    old.message,
    { now: Date.now() },
  );
  assert.equal(new TextDecoder().decode(plaintext), "hello from before");
}

/** Opens old's profile, asserts it still works (then runs `more` on it), and closes it. */
async function reopen(old: OldProfile, more: (profile: Profile) => void = () => {}): Promise<void> {
  const profile = await openProfile(old.dir);
  try {
    await assertStillWorks(profile, old);
    more(profile);
  } finally {
    profile.close();
  }
}

Deno.test("a profile from before sealing: opened once, its keys and sessions are sealed and still work", async () => {
  const old = await oldProfile();
  try {
    for (const [what, secret] of secretsOf(old)) {
      assert.equal(await onDisk(old.dbPath, secret), true, `the test can see ${what}`);
    }
    await reopen(old, (profile) => assert.equal(keysSealed(profile.db), true));
    await assertNotOnDisk(old);
    // Opening again seals nothing twice.
    await reopen(old, (again) => assert.equal(sealExistingKeys(again.db, again.storageKey), 0));
  } finally {
    await Deno.remove(old.dir, { recursive: true });
  }
});

Deno.test("sealing a profile is one transaction: a failure midway leaves every row as it was", async () => {
  const old = await oldProfile();
  try {
    const db = openDatabase(old.dbPath, PEER_MIGRATIONS);
    const before = selectAll(db, "SELECT private_key FROM own_keys ORDER BY rowid");
    const key = await Deno.readFile(join(old.dir, "storage.key"));
    assert.throws(
      () =>
        sealExistingKeys(db, key, {
          onSealed: (n) => {
            if (n === 3) throw new Error("the disk went away");
          },
        }),
      /the disk went away/,
    );
    assert.deepEqual(selectAll(db, "SELECT private_key FROM own_keys ORDER BY rowid"), before);
    assert.equal(keysSealed(db), false);
    db.close();
    await reopen(old);
  } finally {
    await Deno.remove(old.dir, { recursive: true });
  }
});

Deno.test("a process killed while sealing a profile: the next open seals it all", async () => {
  const old = await oldProfile();
  try {
    const child = new URL("./seal_killed_child.ts", import.meta.url).pathname;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", child, old.dir, "4"],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(run.signal, "SIGKILL", new TextDecoder().decode(run.stderr));
    await reopen(old, (profile) => {
      assert.deepEqual(unopenedKeys(profile.db, profile.storageKey).unopened, []);
    });
    await assertNotOnDisk(old);
  } finally {
    await Deno.remove(old.dir, { recursive: true });
  }
});

Deno.test("a new profile's private keys, KEM seeds and ratchet states are never on disk in plaintext", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-sealed-keys-" });
  try {
    const profile = await openProfile(dir);
    const signed = await generateX25519KeyPair();
    const kem = generateKemKeyPair();
    const state = ratchetInitBob(
      crypto.getRandomValues(new Uint8Array(32)),
      signed,
      Uint8Array.of(1),
    );
    try {
      const keys = new OwnKeyStore(profile.db, profile.storageKey);
      keys.add({
        kind: PrekeyKind.Signed,
        id: 1,
        pair: signed,
        signature: new Uint8Array(64),
        createdAt: 1,
      });
      new OwnKemKeyStore(profile.db, profile.storageKey).add({
        kind: PrekeyKind.KemOneTime,
        id: 9,
        pair: kem,
        signature: new Uint8Array(64),
        createdAt: 1,
      });
      new RatchetSessionStore(profile.db, profile.storageKey).save({
        username: "alice",
        sessionId: new Uint8Array(16).fill(1),
        identityKey: new Uint8Array(32).fill(2),
        state: serializeRatchetState(state),
        updatedAt: 1,
      });
    } finally {
      profile.close();
    }
    const path = join(dir, "peer.db");
    for (const secret of [signed.privateKey, kem.seed, ...stateSecrets(state)]) {
      assert.equal(await onDisk(path, secret), false, "a secret key is on disk in plaintext");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a sealed key or state copied to another row does not open, and says which", async () => {
  const old = await oldProfile();
  try {
    const profile = await openProfile(old.dir);
    try {
      const { db, storageKey } = profile;
      // The attack: make one-time prekey 1 answer with prekey 2's private key (or a session
      // continue from another's state) by copying the sealed bytes across rows.
      db.exec(`UPDATE own_keys SET private_key = (SELECT private_key FROM own_keys
                 WHERE kind = ${PrekeyKind.OneTime} AND id = 2)
               WHERE kind = ${PrekeyKind.OneTime} AND id = 1`);
      assert.throws(() => new OwnKeyStore(db, storageKey).get(PrekeyKind.OneTime, 1), {
        name: "DecryptionError",
        message: /Cannot open the private key of one-time prekey 1 \(own_keys\.private_key/,
      });
      db.prepare(
        `INSERT INTO sessions (username, session_id, identity_key, state, updated_at)
         SELECT username, ?, identity_key, state, 2 FROM sessions WHERE username = 'alice'`,
      ).run(new Uint8Array(16).fill(0x77));
      assert.throws(
        () => new RatchetSessionStore(db, storageKey).list("alice", old.aliceKey),
        (err: unknown) => {
          assert.ok(err instanceof DecryptionError);
          assert.match(err.message, /ratchet state of session 77777777… with alice/);
          return true;
        },
      );
      const check = unopenedKeys(db, storageKey);
      assert.deepEqual(check.unopened.length, 2);
    } finally {
      profile.close();
    }
  } finally {
    await Deno.remove(old.dir, { recursive: true });
  }
});
