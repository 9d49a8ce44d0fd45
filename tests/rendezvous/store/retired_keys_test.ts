import assert from "node:assert/strict";
import { AccountStore } from "../../../src/rendezvous/store/accounts.ts";
import { RetiredKeyStore } from "../../../src/rendezvous/store/retired_keys.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../../src/rendezvous/store/schema.ts";
import { openDatabase } from "../../../src/store/database.ts";

const K1 = new Uint8Array(32).fill(1);
const K2 = new Uint8Array(32).fill(2);
const K3 = new Uint8Array(32).fill(3);

Deno.test("retired keys: every key change records the key the account left, and when", () => {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  try {
    const accounts = new AccountStore(db);
    const retired = new RetiredKeyStore(db);
    accounts.create(
      { username: "alice", registrationRecord: "r", identityKey: K1, createdAt: 10 },
      K1,
    );
    assert.deepEqual(retired.retirements(K1), []);
    accounts.changeIdentityKey("alice", K2, 1, K2, 20);
    accounts.changeIdentityKey("alice", K3, 2, K3, 30);
    assert.deepEqual(retired.retirements(K1), [{ username: "alice", retiredAt: 20 }]);
    assert.deepEqual(retired.retirements(K2), [{ username: "alice", retiredAt: 30 }]);
    assert.deepEqual(retired.retirements(K3), []);
    // Back to K1 and away again: one row, the latest time.
    accounts.changeIdentityKey("alice", K1, 3, K1, 40);
    accounts.changeIdentityKey("alice", K2, 4, K2, 50);
    assert.deepEqual(retired.retirements(K1), [{ username: "alice", retiredAt: 50 }]);
    // Deleting the account keeps its retirements.
    db.exec("DELETE FROM accounts WHERE username = 'alice'");
    assert.equal(retired.retirements(K1).length, 1);
  } finally {
    db.close();
  }
});

Deno.test("retired keys: keys retired before the upgrade are taken from the key logs", () => {
  const path = Deno.makeTempFileSync({ suffix: ".db" });
  try {
    const old = openDatabase(path, RENDEZVOUS_MIGRATIONS.slice(0, 3));
    const accounts = new AccountStore(old);
    accounts.create(
      { username: "alice", registrationRecord: "r", identityKey: K1, createdAt: 10 },
      K1,
    );
    accounts.changeIdentityKey("alice", K2, 1, K2, 20);
    old.close();
    const db = openDatabase(path, RENDEZVOUS_MIGRATIONS);
    try {
      const retired = new RetiredKeyStore(db);
      assert.deepEqual(retired.retirements(K1), [{ username: "alice", retiredAt: 20 }]);
      assert.deepEqual(retired.retirements(K2), []);
    } finally {
      db.close();
    }
  } finally {
    Deno.removeSync(path);
  }
});
