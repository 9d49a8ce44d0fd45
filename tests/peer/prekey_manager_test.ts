/**
 * PrekeyManager with `:memory:` SQLite and a fake rendezvous: the last-resort ML-KEM prekey is
 * sent on every upload, rotated on the signed prekey's schedule (the old one kept for the grace
 * period from its replacement), and the one-time KEM pool refilled below 20; a profile that lost
 * its one-time keys replaces both pools at the rendezvous.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { PrekeyKind, verifyPrekey } from "../../src/crypto/prekeys.ts";
import type { PrekeysLeft, PrekeyUpload } from "../../src/peer/clients/directory.ts";
import {
  KEM_ONE_TIME_POOL,
  ONE_TIME_POOL,
  PrekeyManager,
  REPLENISH_BELOW,
  SIGNED_PREKEY_GRACE_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from "../../src/peer/prekey_manager.ts";
import { OwnKemKeyStore } from "../../src/peer/store/own_kem_keys.ts";
import { OwnKeyStore } from "../../src/peer/store/own_keys.ts";
import { PEER_MIGRATIONS } from "../../src/peer/store/schema.ts";
import { openDatabase } from "../../src/store/database.ts";

/** The storage key the stores here seal keys and states with. */
const STORAGE_KEY = new Uint8Array(32).fill(7);

const NOW = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

/** A rendezvous that keeps pool counts as the real one does (`pq` false: an old one). */
class FakeRendezvous {
  readonly uploads: PrekeyUpload[] = [];
  oneTime = 0;
  kemOneTime = 0;
  constructor(readonly pq = true) {}
  upload = (keys: PrekeyUpload): Promise<PrekeysLeft> => {
    this.uploads.push(keys);
    if (keys.replaceOneTimePrekeys) [this.oneTime, this.kemOneTime] = [0, 0];
    this.oneTime += keys.oneTimePrekeys.length;
    this.kemOneTime += keys.kemPrekeys?.oneTimePrekeys.length ?? 0;
    return Promise.resolve({
      oneTime: this.oneTime,
      kemOneTime: this.pq ? this.kemOneTime : undefined,
    });
  };
}

async function setup() {
  const identity = await generateKeyPair("Ed25519");
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const stores = {
    ownKeys: new OwnKeyStore(db, STORAGE_KEY),
    kemKeys: new OwnKemKeyStore(db, STORAGE_KEY),
  };
  return { identity, db, ...stores, manager: new PrekeyManager(identity, stores, db) };
}

Deno.test("PrekeyManager: the first publish sends a signed last-resort KEM prekey and fills both pools", async () => {
  const t = await setup();
  const rendezvous = new FakeRendezvous();
  try {
    const left = await t.manager.publish(rendezvous.upload, NOW);
    assert.deepEqual(left, { oneTime: ONE_TIME_POOL, kemOneTime: KEM_ONE_TIME_POOL });
    assert.equal(rendezvous.uploads.length, 2, "the keys, then the refill");
    for (const upload of rendezvous.uploads) {
      assert.ok(upload.kemPrekeys, "every upload carries the KEM prekeys");
      assert.ok(
        await verifyPrekey(
          PrekeyKind.KemLastResort,
          upload.kemPrekeys.lastResortPrekey,
          t.identity.publicKey.raw,
        ),
      );
    }
    const refill = rendezvous.uploads[1]!.kemPrekeys!.oneTimePrekeys;
    assert.equal(refill.length, KEM_ONE_TIME_POOL);
    assert.equal(new Set(refill.map((k) => k.id)).size, KEM_ONE_TIME_POOL, "distinct ids");
    assert.ok(await verifyPrekey(PrekeyKind.KemOneTime, refill[0]!, t.identity.publicKey.raw));
    assert.equal(t.kemKeys.count(PrekeyKind.KemOneTime), KEM_ONE_TIME_POOL);
    assert.equal(t.kemKeys.count(PrekeyKind.KemLastResort), 1);
    const stored = t.kemKeys.get(PrekeyKind.KemOneTime, refill[0]!.id);
    assert.deepEqual(stored?.pair.publicKey, refill[0]!.publicKey);
    assert.equal(stored?.pair.seed.length, 64);
  } finally {
    t.db.close();
  }
});

Deno.test("PrekeyManager: the one-time KEM pool is refilled below 20, to 100, with new ids", async () => {
  const t = await setup();
  const rendezvous = new FakeRendezvous();
  try {
    await t.manager.publish(rendezvous.upload, NOW);
    const firstIds = rendezvous.uploads[1]!.kemPrekeys!.oneTimePrekeys.map((k) => k.id);

    rendezvous.kemOneTime = REPLENISH_BELOW; // 80 consumed: not low yet
    rendezvous.uploads.length = 0;
    await t.manager.publish(rendezvous.upload, NOW + 1);
    assert.equal(rendezvous.uploads.length, 1, "no refill at 20");
    assert.equal(rendezvous.uploads[0]!.kemPrekeys?.oneTimePrekeys.length, 0);

    rendezvous.kemOneTime = REPLENISH_BELOW - 1;
    rendezvous.uploads.length = 0;
    const left = await t.manager.publish(rendezvous.upload, NOW + 2);
    assert.equal(left.kemOneTime, KEM_ONE_TIME_POOL);
    assert.equal(left.oneTime, ONE_TIME_POOL, "the X25519 pool was not low: not refilled");
    const refill = rendezvous.uploads[1]!.kemPrekeys!.oneTimePrekeys;
    assert.equal(refill.length, KEM_ONE_TIME_POOL - (REPLENISH_BELOW - 1));
    assert.equal(rendezvous.uploads[1]!.oneTimePrekeys.length, 0);
    const reused = refill.filter((k) => firstIds.includes(k.id));
    assert.deepEqual(reused, [], "ids are never reused");
  } finally {
    t.db.close();
  }
});

Deno.test("PrekeyManager: the last-resort KEM prekey rotates weekly; the old one answers for the grace period after its replacement", async () => {
  const t = await setup();
  const rendezvous = new FakeRendezvous();
  try {
    await t.manager.publish(rendezvous.upload, NOW);
    const first = rendezvous.uploads[0]!.kemPrekeys!.lastResortPrekey;
    await t.manager.publish(rendezvous.upload, NOW + 6 * DAY);
    assert.equal(rendezvous.uploads.at(-1)!.kemPrekeys!.lastResortPrekey.id, first.id);

    const rotatedAt = NOW + SIGNED_PREKEY_ROTATION_MS;
    await t.manager.publish(rendezvous.upload, rotatedAt);
    const second = rendezvous.uploads.at(-1)!.kemPrekeys!.lastResortPrekey;
    assert.notEqual(second.id, first.id, "a new last-resort key has a new id");
    assert.notDeepEqual(second.publicKey, first.publicKey);
    assert.equal(t.kemKeys.current(PrekeyKind.KemLastResort)?.id, second.id);
    assert.equal(t.kemKeys.get(PrekeyKind.KemLastResort, first.id)?.replacedAt, rotatedAt);

    // Counted from the replacement, not the creation: still there just before the end.
    await t.manager.publish(rendezvous.upload, rotatedAt + SIGNED_PREKEY_GRACE_MS - 1);
    assert.ok(t.kemKeys.get(PrekeyKind.KemLastResort, first.id), "kept for late first messages");
    await t.manager.publish(rendezvous.upload, rotatedAt + SIGNED_PREKEY_GRACE_MS + 1);
    assert.equal(t.kemKeys.get(PrekeyKind.KemLastResort, first.id), undefined);
    // By then the second one is a week old too: replaced just now, so still kept.
    assert.ok(t.kemKeys.get(PrekeyKind.KemLastResort, second.id)?.replacedAt);
    assert.equal(t.kemKeys.count(PrekeyKind.KemLastResort), 2);
  } finally {
    t.db.close();
  }
});

Deno.test("PrekeyManager: a rendezvous without PQXDH gets the last-resort key but no one-time KEM keys", async () => {
  const t = await setup();
  const rendezvous = new FakeRendezvous(false);
  try {
    const left = await t.manager.publish(rendezvous.upload, NOW);
    assert.deepEqual(left, { oneTime: ONE_TIME_POOL, kemOneTime: undefined });
    assert.equal(rendezvous.uploads[1]!.kemPrekeys?.oneTimePrekeys.length, 0);
    assert.equal(t.kemKeys.count(PrekeyKind.KemOneTime), 0);
  } finally {
    t.db.close();
  }
});

Deno.test("PrekeyManager: two profiles of one identity (a copied profile) name their KEM prekeys by different ids", async () => {
  const first = await setup();
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const stores = {
    ownKeys: new OwnKeyStore(db, STORAGE_KEY),
    kemKeys: new OwnKemKeyStore(db, STORAGE_KEY),
  };
  const copy = new PrekeyManager(first.identity, stores, db);
  try {
    const [a, b] = [new FakeRendezvous(), new FakeRendezvous()];
    await first.manager.publish(a.upload, NOW);
    await copy.publish(b.upload, NOW);
    const ids = (r: FakeRendezvous) => {
      const kem = r.uploads[1]!.kemPrekeys!;
      return [kem.lastResortPrekey.id, ...kem.oneTimePrekeys.map((k) => k.id)];
    };
    const shared = ids(a).filter((id) => ids(b).includes(id));
    assert.deepEqual(shared, [], "the rendezvous would refuse another key under a stored id");
  } finally {
    first.db.close();
    db.close();
  }
});

Deno.test("PrekeyManager: a repaired profile (its one-time keys lost) replaces both pools at the rendezvous", async () => {
  const first = await setup();
  const rendezvous = new FakeRendezvous();
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const stores = {
    ownKeys: new OwnKeyStore(db, STORAGE_KEY),
    kemKeys: new OwnKemKeyStore(db, STORAGE_KEY),
  };
  const repaired = new PrekeyManager(first.identity, stores, db);
  try {
    await first.manager.publish(rendezvous.upload, NOW);
    assert.equal(rendezvous.uploads.at(-1)!.replaceOneTimePrekeys, undefined, "nothing lost");
    rendezvous.uploads.length = 0;
    const left = await repaired.publish(rendezvous.upload, NOW + 1);
    assert.equal(rendezvous.uploads.length, 2, "the keys, then the replacement");
    const replacement = rendezvous.uploads[1]!;
    assert.equal(replacement.replaceOneTimePrekeys, true);
    assert.equal(replacement.oneTimePrekeys.length, ONE_TIME_POOL);
    assert.equal(replacement.kemPrekeys?.oneTimePrekeys.length, KEM_ONE_TIME_POOL);
    assert.deepEqual(left, { oneTime: ONE_TIME_POOL, kemOneTime: KEM_ONE_TIME_POOL });
    assert.equal(stores.ownKeys.count(PrekeyKind.OneTime), ONE_TIME_POOL, "private halves held");
    assert.equal(stores.kemKeys.count(PrekeyKind.KemOneTime), KEM_ONE_TIME_POOL);

    rendezvous.uploads.length = 0;
    await repaired.publish(rendezvous.upload, NOW + 2);
    assert.equal(rendezvous.uploads.length, 1, "replaced once: nothing lost any more");
  } finally {
    first.db.close();
    db.close();
  }
});

Deno.test("PrekeyManager: only the one-time KEM keys lost also replaces both pools", async () => {
  const t = await setup();
  const rendezvous = new FakeRendezvous();
  try {
    await t.manager.publish(rendezvous.upload, NOW);
    t.db.exec(`DELETE FROM own_kem_keys WHERE kind = ${PrekeyKind.KemOneTime}`);
    rendezvous.uploads.length = 0;
    await t.manager.publish(rendezvous.upload, NOW + 1);
    const replacement = rendezvous.uploads[1]!;
    assert.equal(replacement.replaceOneTimePrekeys, true);
    assert.equal(replacement.kemPrekeys?.oneTimePrekeys.length, KEM_ONE_TIME_POOL);
    assert.equal(t.kemKeys.count(PrekeyKind.KemOneTime), KEM_ONE_TIME_POOL);
  } finally {
    t.db.close();
  }
});

Deno.test("PrekeyManager: a replaced signed prekey answers for the grace period after its replacement, not after its creation", async () => {
  const t = await setup();
  const rendezvous = new FakeRendezvous();
  try {
    await t.manager.publish(rendezvous.upload, NOW);
    const first = rendezvous.uploads[0]!.signedPrekey!;
    const rotatedAt = NOW + SIGNED_PREKEY_ROTATION_MS;
    await t.manager.publish(rendezvous.upload, rotatedAt);
    assert.notEqual(rendezvous.uploads.at(-1)!.signedPrekey!.id, first.id, "rotated");
    // Created 3 weeks ago, replaced 2 weeks ago less a moment: a late first message still opens.
    await t.manager.publish(rendezvous.upload, rotatedAt + SIGNED_PREKEY_GRACE_MS - 1);
    assert.ok(t.ownKeys.get(PrekeyKind.Signed, first.id), "kept two weeks after its replacement");
    await t.manager.publish(rendezvous.upload, rotatedAt + SIGNED_PREKEY_GRACE_MS + 1);
    assert.equal(t.ownKeys.get(PrekeyKind.Signed, first.id), undefined, "then deleted");
    assert.ok(t.ownKeys.newest(PrekeyKind.Signed), "the current one is never deleted");
  } finally {
    t.db.close();
  }
});
