import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../../../src/store/database.ts";
import { MailboxFullError, MailboxStore } from "../../../src/rendezvous/store/mailbox.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../../src/rendezvous/store/schema.ts";

const QUOTA = { maxMail: 3, maxBytes: 100 };

function withAccounts(...names: string[]): DatabaseSync {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  for (const [i, name] of names.entries()) {
    db.prepare(
      `INSERT INTO accounts (username, registration_record, identity_key, created_at, updated_at)
       VALUES (?, '', ?, 0, 0)`,
    ).run(name, new Uint8Array(32).fill(i + 1));
  }
  return db;
}

function mail(recipient: string, n: number, size = 10, now = 1000) {
  return {
    recipient,
    sender: "alice",
    messageId: new Uint8Array(16).fill(n),
    envelope: new Uint8Array(size).fill(n),
    now,
    expiresAt: now + 1000,
  };
}

Deno.test("mailbox: fetched in deposit order, per recipient, deleted only when acknowledged", () => {
  const db = withAccounts("bob", "carol");
  try {
    const box = new MailboxStore(db);
    const ids = [1, 2, 3].map((n) => box.deposit(mail("bob", n), QUOTA));
    box.deposit(mail("carol", 9), QUOTA);
    assert.deepEqual([...ids].sort((a, b) => a - b), ids);
    const first = box.fetch("bob", 2, 1_000_000, 1500);
    assert.deepEqual(first.mail.map((m) => m.envelope[0]), [1, 2]);
    assert.equal(first.more, true);
    // Acknowledging someone else's ids deletes nothing.
    assert.equal(box.acknowledge("carol", first.mail.map((m) => m.id)), 0);
    assert.equal(box.acknowledge("bob", first.mail.map((m) => m.id)), 2);
    assert.deepEqual(box.usage("bob"), { count: 1, bytes: 10 });
    const rest = box.fetch("bob", 10, 1_000_000, 1500);
    assert.deepEqual(rest.mail.map((m) => m.envelope[0]), [3]);
    assert.equal(rest.more, false);
    assert.equal(box.fetch("carol", 10, 1_000_000, 1500).mail.length, 1);
  } finally {
    db.close();
  }
});

Deno.test("mailbox: a repeated deposit of one message id is stored once", () => {
  const db = withAccounts("bob");
  try {
    const box = new MailboxStore(db);
    const id = box.deposit(mail("bob", 1), QUOTA);
    assert.equal(box.deposit(mail("bob", 1), QUOTA), id);
    assert.equal(box.usage("bob").count, 1);
  } finally {
    db.close();
  }
});

Deno.test("mailbox: count and byte quotas refuse with MailboxFullError and store nothing", () => {
  const db = withAccounts("bob", "carol");
  try {
    const box = new MailboxStore(db);
    for (const n of [1, 2, 3]) box.deposit(mail("bob", n), QUOTA);
    assert.throws(() => box.deposit(mail("bob", 4), QUOTA), (err: Error) => {
      assert.ok(err instanceof MailboxFullError);
      assert.match(err.message, /bob's mailbox is full: it holds 3 messages \(the limit is 3\)/);
      return true;
    });
    box.deposit(mail("carol", 5, 60), QUOTA);
    assert.throws(() => box.deposit(mail("carol", 6, 41), QUOTA), /holds 60 bytes/);
    box.deposit(mail("carol", 7, 40), QUOTA);
    assert.deepEqual(box.usage("bob"), { count: 3, bytes: 30 });
    assert.deepEqual(box.usage("carol"), { count: 2, bytes: 100 });
  } finally {
    db.close();
  }
});

Deno.test("mailbox: a fetch is bounded in bytes but always carries at least one mail", () => {
  const db = withAccounts("bob");
  try {
    const box = new MailboxStore(db);
    for (const n of [1, 2, 3]) box.deposit(mail("bob", n, 30), { maxMail: 10, maxBytes: 1000 });
    assert.deepEqual(box.fetch("bob", 10, 65, 1500).mail.length, 2);
    assert.deepEqual(box.fetch("bob", 10, 5, 1500).mail.length, 1);
  } finally {
    db.close();
  }
});

Deno.test("mailbox: expired mail is not fetched and is purged", () => {
  const db = withAccounts("bob");
  try {
    const box = new MailboxStore(db);
    box.deposit(mail("bob", 1, 10, 1000), QUOTA); // expires at 2000
    box.deposit(mail("bob", 2, 10, 1500), QUOTA); // expires at 2500
    assert.deepEqual(box.fetch("bob", 10, 1000, 2000).mail.map((m) => m.envelope[0]), [2]);
    assert.equal(box.purgeExpired(2000), 1);
    assert.deepEqual(box.usage("bob"), { count: 1, bytes: 10 });
    assert.equal(box.purgeExpired(2600), 1);
    assert.deepEqual(box.usage("bob"), { count: 0, bytes: 0 });
  } finally {
    db.close();
  }
});
