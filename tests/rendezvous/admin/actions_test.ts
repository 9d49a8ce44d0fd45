import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { DatabaseSync } from "node:sqlite";
import { AdminActions } from "../../../src/rendezvous/admin/actions.ts";
import { accountPolicy } from "../../../src/rendezvous/admin/policy.ts";
import { AccountAdminStore } from "../../../src/rendezvous/store/account_admin.ts";
import { AccountStore } from "../../../src/rendezvous/store/accounts.ts";
import { MailboxStore } from "../../../src/rendezvous/store/mailbox.ts";
import { PrekeyStore } from "../../../src/rendezvous/store/prekeys.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../../src/rendezvous/store/schema.ts";
import { StatsStore } from "../../../src/rendezvous/store/stats.ts";
import { openDatabase } from "../../../src/store/database.ts";

const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

function signedKey(id: number) {
  return { id, publicKey: new Uint8Array(32).fill(id), signature: new Uint8Array(64).fill(id) };
}

async function withDb(work: (db: DatabaseSync) => Promise<void> | void): Promise<void> {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  try {
    await work(db);
  } finally {
    db.close();
  }
}

/** Creates `username` with a real Ed25519 identity; returns its PeerId. */
async function addAccount(db: DatabaseSync, username: string): Promise<string> {
  const privateKey = await generateKeyPair("Ed25519");
  new AccountStore(db).create({
    username,
    registrationRecord: `record-of-${username}`,
    identityKey: privateKey.publicKey.raw,
    createdAt: T0,
  }, new Uint8Array([1, 2, 3]));
  return peerIdFromPrivateKey(privateKey).toString();
}

Deno.test("admin: disable and enable an account; the policy refuses its login meanwhile", async () => {
  await withDb(async (db) => {
    await addAccount(db, "alice");
    const changed: string[] = [];
    const actions = new AdminActions(db, () => T0 + 5, (name) => changed.push(name));
    const policy = accountPolicy(new AccountAdminStore(db), 30 * DAY);
    assert.equal(policy.loginRefusal("alice"), undefined);
    actions.apply("disable", "Alice", "cli");
    assert.match(policy.loginRefusal("alice")!, /Cannot log in as alice: the operator .* disabled/);
    assert.equal(actions.users()[0]!.disabledAt, T0 + 5);
    actions.apply("enable", "alice", "dashboard 127.0.0.1");
    assert.equal(policy.loginRefusal("alice"), undefined);
    assert.deepEqual(changed, ["alice", "alice"]);
    assert.deepEqual(actions.audit(10).map((a) => [a.actor, a.action, a.target, a.outcome]), [
      ["dashboard 127.0.0.1", "enable", "alice", "ok"],
      ["cli", "disable", "alice", "ok"],
    ]);
  });
});

Deno.test("admin: delete takes the prekeys and mail; the name cools off", async () => {
  await withDb(async (db) => {
    await addAccount(db, "alice");
    await addAccount(db, "bob");
    new PrekeyStore(db).publish(
      "alice",
      { identityDhKey: signedKey(1), signedPrekey: signedKey(2) },
      [signedKey(3), signedKey(4)],
      10,
      T0,
    );
    const mailbox = new MailboxStore(db);
    mailbox.deposit({
      recipient: "alice",
      sender: "bob",
      senderKey: new Uint8Array(32),
      messageId: new Uint8Array(16),
      envelope: new Uint8Array(100),
      now: T0,
      expiresAt: T0 + DAY,
    }, { maxMail: 10, maxBytes: 1000, maxMailPerSender: 10, maxBytesPerSender: 1000 });
    const stats = new StatsStore(db);
    assert.deepEqual(stats.mailboxTotals(), { count: 1, bytes: 100 });
    assert.deepEqual(stats.oneTimePrekeysLeft(), { min: 2, median: 2 });
    const actions = new AdminActions(db, () => T0);
    actions.apply("delete", "alice", "cli");
    assert.deepEqual(actions.users().map((u) => u.username), ["bob"]);
    assert.deepEqual(stats.mailboxTotals(), { count: 0, bytes: 0 });
    assert.deepEqual(mailbox.senderUsage("alice", "bob"), { count: 0, bytes: 0 });
    assert.equal(stats.oneTimePrekeysLeft(), undefined);
    assert.equal(new AccountStore(db).keyLog("alice").length, 0);
    const policy = accountPolicy(new AccountAdminStore(db), 30 * DAY);
    assert.match(
      policy.registrationRefusal("alice", T0 + DAY)!,
      /alice was deleted recently; it can be registered again after 2023-12-14/,
    );
    assert.equal(policy.registrationRefusal("alice", T0 + 30 * DAY), undefined);
    assert.equal(policy.registrationRefusal("bob", T0), undefined);
  });
});

Deno.test("admin: the key log shows public keys and PeerIds", async () => {
  await withDb(async (db) => {
    const peerId = await addAccount(db, "alice");
    const log = new AdminActions(db, () => T0).keyLog("alice", "cli");
    assert.equal(log.length, 1);
    assert.equal(log[0]!.seq, 0);
    assert.equal(log[0]!.peerId, peerId);
    assert.match(log[0]!.identityKey, /^[0-9a-f]{64}$/);
  });
});

Deno.test("admin: an unknown or invalid name is a RangeError, and is audited", async () => {
  await withDb((db) => {
    const actions = new AdminActions(db, () => T0);
    assert.throws(
      () => actions.apply("disable", "nobody", "cli"),
      /Cannot disable nobody: no account nobody/,
    );
    assert.throws(() => actions.keyLog("nobody", "cli"), /Cannot keylog nobody: no account/);
    assert.throws(
      () => actions.apply("delete", "a b", "cli"),
      /Cannot delete a b: Invalid username/,
    );
    assert.deepEqual(actions.audit(10).map((a) => a.outcome.slice(0, 10)), [
      "Invalid us",
      "no account",
      "no account",
    ]);
  });
});

Deno.test("stats: accounts, disabled, largest mailboxes", async () => {
  await withDb(async (db) => {
    await addAccount(db, "alice");
    await addAccount(db, "bob");
    new AdminActions(db, () => T0).apply("disable", "bob", "cli");
    const stats = new StatsStore(db);
    assert.deepEqual(stats.accounts(), { total: 2, disabled: 1 });
    assert.deepEqual(stats.largestMailboxes(5), []);
    assert.equal(stats.healthy(), true);
  });
});
