/** Contacts: a pending key is trusted only as the key the user confirmed; the old one is retired. */
import assert from "node:assert/strict";
import { ContactStore } from "../../../src/peer/store/contacts.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openDatabase } from "../../../src/store/database.ts";

const NOW = 1_700_000_000_000;
const key = (n: number) => new Uint8Array(32).fill(n);

Deno.test("ContactStore: acceptPending trusts only the confirmed key and retires the old one", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const contacts = new ContactStore(db);
  contacts.pin("bob", key(1), NOW);
  contacts.setVerified("bob", true, NOW);
  contacts.setPending("bob", key(2), NOW + 1);
  // The key changed again after the user saw key 2's fingerprint.
  contacts.setPending("bob", key(3), NOW + 2);
  assert.equal(contacts.acceptPending("bob", key(2), NOW + 3), false);
  assert.deepEqual(contacts.get("bob")?.identityKey, key(1));
  assert.equal(contacts.isRetired("bob", key(1)), false);

  assert.equal(contacts.acceptPending("bob", key(3), NOW + 4), true);
  const bob = contacts.get("bob")!;
  assert.deepEqual(bob.identityKey, key(3));
  assert.equal(bob.pendingKey, undefined);
  assert.equal(bob.verified, false);
  assert.equal(bob.firstSeen, NOW);
  assert.equal(contacts.isRetired("bob", key(1)), true);
  assert.equal(contacts.isRetired("carol", key(1)), false, "retired for bob's account only");
  db.close();
});

Deno.test("ContactStore: hasPendingKey tells a contact whose changed key waits for /trust", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  try {
    const contacts = new ContactStore(db);
    assert.equal(contacts.hasPendingKey("bob"), false, "no such contact");
    contacts.pin("bob", key(1), NOW);
    assert.equal(contacts.hasPendingKey("bob"), false);
    contacts.setPending("bob", key(2), NOW + 1);
    assert.equal(contacts.hasPendingKey("bob"), true);
    assert.equal(contacts.acceptPending("bob", key(2), NOW + 2), true);
    assert.equal(contacts.hasPendingKey("bob"), false);
  } finally {
    db.close();
  }
});
