import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { AccountStore } from "../../../src/rendezvous/store/accounts.ts";
import { openDatabase } from "../../../src/store/database.ts";
import {
  type KemPublication,
  PrekeyIdInUseError,
  PrekeyStore,
  type PublishedPrekeys,
} from "../../../src/rendezvous/store/prekeys.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../../src/rendezvous/store/schema.ts";
import { SignedKey } from "../../../src/proto/services.ts";

const T0 = 1_700_000_000_000;

function signedKey(id: number, fill = id & 0xff): SignedKey {
  return { id, publicKey: new Uint8Array(32).fill(fill), signature: new Uint8Array(64).fill(fill) };
}

const PUBLISHED: PublishedPrekeys = { identityDhKey: signedKey(1), signedPrekey: signedKey(2) };

function withStore(work: (store: PrekeyStore, db: DatabaseSync) => void): () => void {
  return () => {
    const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
    try {
      const accounts = new AccountStore(db);
      for (const [i, name] of ["alice", "bob"].entries()) {
        accounts.create({
          username: name,
          registrationRecord: "r",
          identityKey: new Uint8Array(32).fill(i + 1),
          createdAt: T0,
        }, new Uint8Array([i]));
      }
      work(new PrekeyStore(db), db);
    } finally {
      db.close();
    }
  };
}

function ids(keys: readonly SignedKey[]): number[] {
  return keys.map((k) => k.id);
}

Deno.test(
  "publish stores the identity-DH key, the signed prekey and the one-time prekeys",
  withStore((store) => {
    assert.equal(store.published("alice"), undefined);
    assert.equal(store.oneTimeCount("alice"), 0);
    const stored = store.publish("alice", PUBLISHED, [signedKey(10), signedKey(11)], 500, T0);
    assert.equal(stored, 2);
    assert.deepEqual(store.published("alice"), PUBLISHED);
    assert.equal(store.oneTimeCount("alice"), 2);
    assert.equal(store.oneTimeCount("bob"), 0);
  }),
);

Deno.test(
  "publish with replaceOneTime drops the stored one-time prekeys first (a device that lost them)",
  withStore((store) => {
    store.publish("bob", PUBLISHED, [signedKey(101), signedKey(102), signedKey(103)], 500, T0);
    assert.equal(
      store.publish("bob", PUBLISHED, [signedKey(1), signedKey(2)], 500, T0, undefined, true),
      2,
    );
    assert.deepEqual(
      [store.takeOneTime("bob")?.id, store.takeOneTime("bob")?.id, store.takeOneTime("bob")],
      [1, 2, undefined],
    );
  }),
);

Deno.test(
  "publish replaces the identity-DH key and signed prekey and adds one-time prekeys",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [signedKey(10)], 500, T0);
    const replacement = { identityDhKey: signedKey(3), signedPrekey: signedKey(4) };
    assert.equal(
      store.publish("alice", replacement, [signedKey(11), signedKey(12)], 500, T0 + 1),
      3,
    );
    assert.deepEqual(store.published("alice"), replacement);
    // an id already stored is replaced, not duplicated
    assert.equal(store.publish("alice", replacement, [signedKey(11, 0xee)], 500, T0 + 2), 3);
    assert.equal(store.publish("alice", replacement, [], 500, T0 + 3), 3);
    const taken = [
      store.takeOneTime("alice"),
      store.takeOneTime("alice"),
      store.takeOneTime("alice"),
    ];
    assert.deepEqual(taken.map((k) => k?.id), [10, 11, 12]);
    assert.deepEqual(taken[1]?.publicKey, new Uint8Array(32).fill(0xee));
  }),
);

Deno.test(
  "takeOneTime hands out each one-time prekey once, lowest id first, then undefined",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [signedKey(30), signedKey(5), signedKey(17)], 500, T0);
    store.publish("bob", PUBLISHED, [signedKey(5)], 500, T0);
    const taken: SignedKey[] = [];
    for (
      let key = store.takeOneTime("alice");
      key !== undefined;
      key = store.takeOneTime("alice")
    ) {
      taken.push(key);
    }
    assert.deepEqual(ids(taken), [5, 17, 30]);
    assert.deepEqual(taken[0], signedKey(5));
    assert.equal(store.takeOneTime("alice"), undefined);
    assert.equal(store.oneTimeCount("alice"), 0);
    // bob's key with the same id is his own
    assert.deepEqual(store.takeOneTime("bob"), signedKey(5));
    assert.equal(store.takeOneTime("nobody"), undefined);
  }),
);

Deno.test(
  "takeOneTime never returns the same key twice across many takes and uploads",
  withStore((store) => {
    const seen = new Set<number>();
    let nextId = 0;
    for (let round = 0; round < 5; round++) {
      store.publish(
        "alice",
        PUBLISHED,
        Array.from({ length: 20 }, () => signedKey(nextId++)),
        500,
        T0,
      );
      for (let i = 0; i < 15; i++) {
        const key = store.takeOneTime("alice");
        assert.ok(key);
        assert.ok(!seen.has(key.id), `key ${key.id} handed out twice`);
        seen.add(key.id);
      }
    }
    assert.equal(store.oneTimeCount("alice"), 100 - 75);
    assert.equal(seen.size, 75);
  }),
);

Deno.test(
  "publish over the limit is a RangeError and stores nothing",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [signedKey(1), signedKey(2)], 3, T0);
    const replacement = { identityDhKey: signedKey(7), signedPrekey: signedKey(8) };
    assert.throws(
      () => store.publish("alice", replacement, [signedKey(3), signedKey(4)], 3, T0 + 1),
      (err: unknown) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, /4 one-time prekeys would be stored; the limit is 3/);
        return true;
      },
    );
    // rolled back: neither the new one-time keys nor the new signed keys are stored
    assert.equal(store.oneTimeCount("alice"), 2);
    assert.deepEqual(store.published("alice"), PUBLISHED);
    // exactly at the limit is fine
    assert.equal(store.publish("alice", replacement, [signedKey(3)], 3, T0 + 2), 3);
    assert.deepEqual(store.published("alice"), replacement);
  }),
);

Deno.test(
  "publish for an unknown user fails (the rows need an account)",
  withStore((store) => {
    assert.throws(() => store.publish("nobody", PUBLISHED, [signedKey(1)], 500, T0), /FOREIGN KEY/);
    assert.equal(store.published("nobody"), undefined);
    assert.equal(store.oneTimeCount("nobody"), 0);
  }),
);

Deno.test(
  "deleting an account cascades to its prekeys",
  withStore((store, db) => {
    store.publish("alice", PUBLISHED, [signedKey(1)], 500, T0);
    db.prepare("DELETE FROM accounts WHERE username = ?").run("alice");
    assert.equal(store.published("alice"), undefined);
    assert.equal(store.oneTimeCount("alice"), 0);
  }),
);

/** A KEM-sized SignedKey (the store keeps bytes; the protocol checks them). */
function kemKey(id: number, fill = id & 0xff): SignedKey {
  return {
    id,
    publicKey: new Uint8Array(1184).fill(fill),
    signature: new Uint8Array(64).fill(fill),
  };
}

function kem(lastResort: number, oneTime: readonly number[], maxStored = 200): KemPublication {
  return {
    lastResortPrekey: kemKey(lastResort),
    oneTimePrekeys: oneTime.map((id) => kemKey(id)),
    maxStored,
  };
}

function takeAllKem(store: PrekeyStore, username: string): number[] {
  const taken: number[] = [];
  for (let key = store.takeKemOneTime(username); key; key = store.takeKemOneTime(username)) {
    taken.push(key.id);
  }
  return taken;
}

Deno.test(
  "publish with KEM prekeys stores the last-resort KEM prekey and the one-time KEM pool",
  withStore((store) => {
    assert.equal(store.kemOneTimeCount("alice"), 0);
    store.publish("alice", PUBLISHED, [signedKey(10)], 500, T0, kem(1, [20, 21]));
    assert.deepEqual(store.published("alice"), { ...PUBLISHED, kemLastResortPrekey: kemKey(1) });
    assert.equal(store.oneTimeCount("alice"), 1, "the X25519 pool is its own");
    assert.equal(store.kemOneTimeCount("alice"), 2);
    assert.equal(store.kemOneTimeCount("bob"), 0);
  }),
);

Deno.test(
  "takeKemOneTime hands out each one-time KEM prekey once, lowest id first, then undefined",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [], 500, T0, kem(1, [30, 5, 17]));
    store.publish("bob", PUBLISHED, [], 500, T0, kem(1, [5]));
    assert.deepEqual(store.takeKemOneTime("alice"), kemKey(5));
    assert.deepEqual(takeAllKem(store, "alice"), [17, 30]);
    assert.equal(store.takeKemOneTime("alice"), undefined);
    assert.equal(store.kemOneTimeCount("alice"), 0);
    // the last-resort KEM prekey is never consumed
    assert.deepEqual(store.published("alice")?.kemLastResortPrekey, kemKey(1));
    // bob's key with the same id is his own
    assert.deepEqual(store.takeKemOneTime("bob"), kemKey(5));
    assert.equal(store.takeKemOneTime("nobody"), undefined);
  }),
);

Deno.test(
  "takeKemOneTime never returns the same key twice across interleaved takes and uploads",
  withStore((store) => {
    const seen = new Set<number>();
    let nextId = 0;
    for (let round = 0; round < 5; round++) {
      const ids = Array.from({ length: 20 }, () => nextId++);
      store.publish("alice", PUBLISHED, [], 500, T0, kem(1, ids));
      for (let i = 0; i < 15; i++) {
        const key = store.takeKemOneTime("alice");
        assert.ok(key);
        assert.ok(!seen.has(key.id), `KEM key ${key.id} handed out twice`);
        seen.add(key.id);
      }
    }
    assert.equal(store.kemOneTimeCount("alice"), 100 - 75);
  }),
);

Deno.test(
  "a new last-resort KEM prekey replaces the old one; the one-time KEM pool grows",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [], 500, T0, kem(1, [10]));
    store.publish("alice", PUBLISHED, [], 500, T0 + 1, kem(2, [11, 12]));
    assert.deepEqual(store.published("alice")?.kemLastResortPrekey, kemKey(2));
    assert.equal(store.kemOneTimeCount("alice"), 3);
  }),
);

Deno.test(
  "a KEM prekey uploaded again under its id is stored once; a retried upload is idempotent",
  withStore((store) => {
    assert.equal(store.publish("alice", PUBLISHED, [], 500, T0, kem(1, [10, 11, 11])), 0);
    store.publish("alice", PUBLISHED, [], 500, T0 + 1, kem(1, [10, 11]));
    assert.equal(store.kemOneTimeCount("alice"), 2);
    assert.deepEqual(store.published("alice")?.kemLastResortPrekey, kemKey(1));
  }),
);

Deno.test(
  "publish with replaceOneTime also empties the one-time KEM pool and takes reused KEM ids",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [signedKey(1), signedKey(2)], 500, T0, kem(1, [10, 11, 12]));
    // a repaired profile: new keys, its counters start again, so ids clash with the lost keys
    const repaired: KemPublication = {
      lastResortPrekey: kemKey(1, 0xee),
      oneTimePrekeys: [kemKey(10, 0xee)],
      maxStored: 200,
    };
    assert.equal(
      store.publish("alice", PUBLISHED, [signedKey(1, 0xee)], 500, T0 + 1, repaired, true),
      1,
    );
    assert.deepEqual(store.published("alice"), {
      ...PUBLISHED,
      kemLastResortPrekey: kemKey(1, 0xee),
    });
    assert.deepEqual(store.takeKemOneTime("alice"), kemKey(10, 0xee));
    assert.equal(store.takeKemOneTime("alice"), undefined, "the lost KEM prekeys are gone");
    assert.deepEqual(store.takeOneTime("alice"), signedKey(1, 0xee));
    assert.equal(store.takeOneTime("alice"), undefined);
  }),
);

Deno.test(
  "another KEM key under a stored id is a PrekeyIdInUseError and stores nothing",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [signedKey(1)], 500, T0, kem(1, [10, 11]));
    const replacement = { identityDhKey: signedKey(7), signedPrekey: signedKey(8) };
    const clash = (publication: KemPublication, what: RegExp) =>
      assert.throws(
        () => store.publish("alice", replacement, [signedKey(2)], 500, T0 + 1, publication),
        (err: unknown) => err instanceof PrekeyIdInUseError && what.test(err.message),
      );
    clash(
      { ...kem(1, [12]), lastResortPrekey: kemKey(1, 0xee) },
      /last-resort KEM prekey id 1 is already stored with another key/,
    );
    clash(
      { ...kem(2, [12]), oneTimePrekeys: [kemKey(12), kemKey(11, 0xee)] },
      /one-time KEM prekey id 11 is already stored with another key/,
    );
    clash(
      { ...kem(2, []), oneTimePrekeys: [kemKey(13), kemKey(13, 0xee)] },
      /one-time KEM prekey id 13 is already stored with another key/,
    );
    // rolled back: nothing of the refused uploads is stored
    assert.deepEqual(store.published("alice"), { ...PUBLISHED, kemLastResortPrekey: kemKey(1) });
    assert.equal(store.oneTimeCount("alice"), 1);
    assert.deepEqual(takeAllKem(store, "alice"), [10, 11]);
    assert.deepEqual(store.takeOneTime("alice"), signedKey(1));
  }),
);

Deno.test(
  "publish over the one-time KEM cap is a RangeError and stores nothing",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [signedKey(1)], 500, T0, kem(1, [10, 11], 3));
    assert.throws(
      () => store.publish("alice", PUBLISHED, [signedKey(2)], 500, T0 + 1, kem(2, [12, 13], 3)),
      (err: unknown) =>
        err instanceof RangeError &&
        /4 one-time KEM prekeys would be stored; the limit is 3/.test(err.message),
    );
    assert.deepEqual(store.published("alice")?.kemLastResortPrekey, kemKey(1));
    assert.equal(store.oneTimeCount("alice"), 1);
    assert.equal(store.kemOneTimeCount("alice"), 2);
    // exactly at the cap is fine
    store.publish("alice", PUBLISHED, [], 500, T0 + 2, kem(2, [12], 3));
    assert.equal(store.kemOneTimeCount("alice"), 3);
  }),
);

Deno.test(
  "publish without KEM prekeys (a version without PQXDH) drops the user's KEM prekeys",
  withStore((store) => {
    store.publish("alice", PUBLISHED, [signedKey(1)], 500, T0, kem(1, [10, 11]));
    store.publish("bob", PUBLISHED, [], 500, T0, kem(1, [10]));
    store.publish("alice", PUBLISHED, [], 500, T0 + 1);
    assert.deepEqual(store.published("alice"), PUBLISHED);
    assert.equal(store.kemOneTimeCount("alice"), 0);
    assert.equal(store.oneTimeCount("alice"), 1, "the X25519 pool stays");
    assert.equal(store.kemOneTimeCount("bob"), 1, "bob's are his own");
  }),
);

Deno.test(
  "a key change and an account deletion drop the KEM prekeys",
  withStore((store, db) => {
    store.publish("alice", PUBLISHED, [], 500, T0, kem(1, [10, 11]));
    store.publish("bob", PUBLISHED, [], 500, T0, kem(1, [10]));
    new AccountStore(db).changeIdentityKey(
      "alice",
      new Uint8Array(32).fill(9),
      1,
      Uint8Array.of(1),
      T0,
    );
    assert.equal(store.published("alice"), undefined);
    assert.equal(store.kemOneTimeCount("alice"), 0);
    db.prepare("DELETE FROM accounts WHERE username = ?").run("bob");
    assert.equal(store.kemOneTimeCount("bob"), 0);
  }),
);

/** Where the KEM prekey migration sits in the list (its number moves as others are added). */
const KEM_MIGRATION = RENDEZVOUS_MIGRATIONS.findIndex((m) =>
  m.sql.includes("CREATE TABLE kem_one_time_prekeys")
);

Deno.test("the KEM prekey migration keeps the prekeys published before it", () => {
  assert.ok(KEM_MIGRATION > 0, "the KEM prekey migration is in the list");
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/rendezvous.db`;
  try {
    const before = openDatabase(path, RENDEZVOUS_MIGRATIONS.slice(0, KEM_MIGRATION));
    new AccountStore(before).create(
      {
        username: "alice",
        registrationRecord: "r",
        identityKey: new Uint8Array(32),
        createdAt: T0,
      },
      Uint8Array.of(0),
    );
    // the rows as the store before the KEM prekeys wrote them
    before.prepare("INSERT INTO identity_prekeys VALUES (?, ?, ?, ?)").run(
      "alice",
      SignedKey.encode(PUBLISHED.identityDhKey),
      SignedKey.encode(PUBLISHED.signedPrekey),
      T0,
    );
    before.prepare("INSERT INTO one_time_prekeys VALUES (?, ?, ?)")
      .run("alice", 10, SignedKey.encode(signedKey(10)));
    before.close();
    const after = openDatabase(path, RENDEZVOUS_MIGRATIONS);
    try {
      const store = new PrekeyStore(after);
      assert.deepEqual(store.published("alice"), PUBLISHED, "no KEM prekey yet");
      assert.deepEqual(store.takeOneTime("alice"), signedKey(10));
      store.publish("alice", PUBLISHED, [], 500, T0, kem(1, [20]));
      assert.equal(store.kemOneTimeCount("alice"), 1);
    } finally {
      after.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
