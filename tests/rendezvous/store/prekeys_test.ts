import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { AccountStore } from "../../../src/rendezvous/store/accounts.ts";
import { openDatabase } from "../../../src/store/database.ts";
import { PrekeyStore, type PublishedPrekeys } from "../../../src/rendezvous/store/prekeys.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../../src/rendezvous/store/schema.ts";
import type { SignedKey } from "../../../src/proto/services.ts";

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
    assert.equal(store.publish("bob", PUBLISHED, [signedKey(1), signedKey(2)], 500, T0, true), 2);
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
