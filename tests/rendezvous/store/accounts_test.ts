import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import {
  type Account,
  AccountStore,
  UsernameTakenError,
} from "../../../src/rendezvous/store/accounts.ts";
import { openDatabase } from "../../../src/store/database.ts";
import { PrekeyStore } from "../../../src/rendezvous/store/prekeys.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../../src/rendezvous/store/schema.ts";

const T0 = 1_700_000_000_000;

function key(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

function account(username: string, identityKey: Uint8Array): Account {
  return { username, registrationRecord: `record-of-${username}`, identityKey, createdAt: T0 };
}

function withStore(work: (store: AccountStore, db: DatabaseSync) => void): () => void {
  return () => {
    const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
    try {
      work(new AccountStore(db), db);
    } finally {
      db.close();
    }
  };
}

function signedKey(id: number) {
  return { id, publicKey: key(id), signature: new Uint8Array(64).fill(id) };
}

Deno.test(
  "create stores the account and its first key-log entry",
  withStore((store) => {
    assert.equal(store.get("alice"), undefined);
    store.create(account("alice", key(1)), new Uint8Array([0xaa]));
    const stored = store.get("alice");
    assert.deepEqual(stored, account("alice", key(1)));
    assert.ok(stored?.identityKey instanceof Uint8Array);
    assert.deepEqual(store.keyLog("alice"), [
      { seq: 0, identityKey: key(1), statement: new Uint8Array([0xaa]) },
    ]);
    assert.equal(store.keyLogLength("alice"), 1);
    assert.deepEqual(store.lastKeyLogStatement("alice"), new Uint8Array([0xaa]));
  }),
);

Deno.test(
  "create refuses a taken username with UsernameTakenError and keeps the first account",
  withStore((store) => {
    store.create(account("alice", key(1)), new Uint8Array([1]));
    assert.throws(
      () => store.create(account("alice", key(2)), new Uint8Array([2])),
      (err: unknown) => {
        assert.ok(err instanceof UsernameTakenError);
        assert.equal(err.name, "UsernameTakenError");
        assert.match(err.message, /alice is taken/);
        return true;
      },
    );
    assert.deepEqual(store.get("alice")?.identityKey, key(1));
    assert.equal(store.keyLogLength("alice"), 1);
  }),
);

Deno.test(
  "an identity key is bound to at most one account",
  withStore((store) => {
    store.create(account("alice", key(1)), new Uint8Array([1]));
    assert.throws(
      () => store.create(account("bob", key(1)), new Uint8Array([2])),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, /UNIQUE constraint failed: accounts\.identity_key/);
        return true;
      },
    );
    // nothing of bob was stored (the transaction rolled back)
    assert.equal(store.get("bob"), undefined);
    assert.deepEqual(store.keyLog("bob"), []);
    // and changing another account's key to alice's is refused too
    store.create(account("carol", key(3)), new Uint8Array([3]));
    assert.throws(
      () => store.changeIdentityKey("carol", key(1), 1, new Uint8Array([4]), T0),
      /UNIQUE/,
    );
    assert.equal(store.keyLogLength("carol"), 1);
    assert.deepEqual(store.get("carol")?.identityKey, key(3));
  }),
);

Deno.test(
  "changeIdentityKey appends to the key log, rebinds the key and drops the prekeys",
  withStore((store, db) => {
    store.create(account("alice", key(1)), new Uint8Array([0]));
    store.create(account("bob", key(9)), new Uint8Array([9]));
    const prekeys = new PrekeyStore(db);
    const published = { identityDhKey: signedKey(1), signedPrekey: signedKey(2) };
    prekeys.publish("alice", published, [signedKey(3), signedKey(4)], 10, T0);
    prekeys.publish("bob", published, [signedKey(5)], 10, T0);

    store.changeIdentityKey("alice", key(2), 1, new Uint8Array([1]), T0 + 1000);
    assert.deepEqual(store.get("alice")?.identityKey, key(2));
    assert.equal(store.get("alice")?.createdAt, T0);
    assert.deepEqual(store.keyLog("alice").map((row) => [row.seq, row.identityKey[0]]), [[0, 1], [
      1,
      2,
    ]]);
    assert.deepEqual(store.lastKeyLogStatement("alice"), new Uint8Array([1]));
    assert.equal(prekeys.published("alice"), undefined);
    assert.equal(prekeys.oneTimeCount("alice"), 0);
    // bob's prekeys are untouched
    assert.ok(prekeys.published("bob"));
    assert.equal(prekeys.oneTimeCount("bob"), 1);

    store.changeIdentityKey("alice", key(3), 2, new Uint8Array([2]), T0 + 2000);
    assert.equal(store.keyLogLength("alice"), 3);
    // the old key is free again once no account holds it
    store.create(account("dave", key(1)), new Uint8Array([7]));
    assert.deepEqual(store.get("dave")?.identityKey, key(1));
  }),
);

Deno.test(
  "changeIdentityKey with a seq that is not the next one is a RangeError and changes nothing",
  withStore((store, db) => {
    store.create(account("alice", key(1)), new Uint8Array([0]));
    const prekeys = new PrekeyStore(db);
    prekeys.publish(
      "alice",
      { identityDhKey: signedKey(1), signedPrekey: signedKey(2) },
      [signedKey(3)],
      10,
      T0,
    );
    for (const seq of [0, 2, -1]) {
      assert.throws(
        () => store.changeIdentityKey("alice", key(2), seq, new Uint8Array([1]), T0),
        (err: unknown) => {
          assert.ok(err instanceof RangeError);
          assert.match(err.message, new RegExp(`key log of alice is at 1, not ${seq}`));
          return true;
        },
      );
    }
    assert.deepEqual(store.get("alice")?.identityKey, key(1));
    assert.equal(store.keyLogLength("alice"), 1);
    assert.equal(prekeys.oneTimeCount("alice"), 1);
  }),
);

Deno.test(
  "key-log queries of an unknown user are empty",
  withStore((store) => {
    assert.deepEqual(store.keyLog("nobody"), []);
    assert.equal(store.keyLogLength("nobody"), 0);
    assert.equal(store.lastKeyLogStatement("nobody"), undefined);
  }),
);

Deno.test(
  "changeIdentityKey of an unknown user fails without leaving a key-log row",
  withStore((store) => {
    // seq 0 is "next" for an empty log, but the foreign key to accounts refuses the row
    assert.throws(() => store.changeIdentityKey("nobody", key(1), 0, new Uint8Array([1]), T0));
    assert.deepEqual(store.keyLog("nobody"), []);
  }),
);
