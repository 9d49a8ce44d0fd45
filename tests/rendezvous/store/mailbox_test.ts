import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../../../src/store/database.ts";
import {
  MailboxFullError,
  MailboxStore,
  RemoteQuotaError,
  SenderQuotaError,
} from "../../../src/rendezvous/store/mailbox.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../../src/rendezvous/store/schema.ts";

/** The whole-mailbox quota, with no per-sender share (per-sender tests set their own). */
const QUOTA = {
  maxMail: 3,
  maxBytes: 100,
  maxMailPerSender: Infinity,
  maxBytesPerSender: Infinity,
};
const ALICE_KEY = new Uint8Array(32).fill(0xa1);

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
    senderKey: ALICE_KEY,
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
    for (const n of [1, 2, 3]) {
      box.deposit(mail("bob", n, 30), { ...QUOTA, maxMail: 10, maxBytes: 1000 });
    }
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

Deno.test("mailbox: another account depositing alice's message id first does not suppress hers", () => {
  const db = withAccounts("bob");
  try {
    const box = new MailboxStore(db);
    // mallory saw id 1 in alice's mail to bob (or guessed it) and deposits it first.
    const forged = box.deposit(
      { ...mail("bob", 1), sender: "mallory", senderKey: new Uint8Array(32).fill(0x66) },
      QUOTA,
    );
    const real = box.deposit(mail("bob", 1), QUOTA);
    assert.notEqual(real, forged, "alice's message is stored, not taken for mallory's");
    assert.deepEqual(box.fetch("bob", 10, 1_000_000, 1500).mail.map((m) => m.id), [forged, real]);
    // alice's own repeat is still a duplicate.
    assert.equal(box.deposit(mail("bob", 1), QUOTA), real);
    assert.equal(box.usage("bob").count, 2);
  } finally {
    db.close();
  }
});

Deno.test("mailbox: one sender cannot fill someone's mailbox; others still get in", () => {
  const db = withAccounts("bob");
  try {
    const box = new MailboxStore(db);
    const quota = { maxMail: 10, maxBytes: 1000, maxMailPerSender: 2, maxBytesPerSender: 25 };
    box.deposit(mail("bob", 1), quota);
    box.deposit(mail("bob", 2), quota);
    assert.throws(() => box.deposit(mail("bob", 3), quota), (err: Error) => {
      assert.ok(err instanceof SenderQuotaError);
      assert.ok(err instanceof MailboxFullError, "a kind of full: retryable");
      assert.match(err.message, /holds 2 messages \(20 bytes\) from alice/);
      return true;
    });
    const carol = { sender: "carol", senderKey: new Uint8Array(32).fill(0xc0) };
    box.deposit({ ...mail("bob", 4), ...carol }, quota);
    assert.throws(() => box.deposit({ ...mail("bob", 5, 16), ...carol }, quota), SenderQuotaError);
    assert.deepEqual(box.senderUsage("bob", "alice"), { count: 2, bytes: 20 });
    // Once bob fetches and acknowledges alice's mail, her share is free again.
    const fetched = box.fetch("bob", 10, 1_000_000, 1500).mail;
    box.acknowledge("bob", fetched.map((m) => m.id));
    assert.deepEqual(box.senderUsage("bob", "alice"), { count: 0, bytes: 0 });
    box.deposit(mail("bob", 3), quota);
  } finally {
    db.close();
  }
});

Deno.test("mailbox: mail stored before per-sender quotas is counted per sender after the upgrade", () => {
  const path = Deno.makeTempFileSync({ suffix: ".db" });
  try {
    const old = openDatabase(path, RENDEZVOUS_MIGRATIONS.slice(0, 2));
    old.prepare(
      `INSERT INTO accounts (username, registration_record, identity_key, created_at, updated_at)
       VALUES ('bob', '', ?, 0, 0)`,
    ).run(new Uint8Array(32).fill(1));
    for (const n of [1, 2]) {
      old.prepare(
        `INSERT INTO mailbox (recipient, sender, message_id, envelope, size, deposited_at,
           expires_at) VALUES ('bob', 'alice', ?, ?, 10, 1000, 2000)`,
      ).run(new Uint8Array(16).fill(n), new Uint8Array(10));
    }
    old.close();
    const db = openDatabase(path, RENDEZVOUS_MIGRATIONS);
    try {
      const box = new MailboxStore(db);
      assert.deepEqual(box.senderUsage("bob", "alice"), { count: 2, bytes: 20 });
      assert.deepEqual(box.usage("bob"), { count: 2, bytes: 20 });
      box.acknowledge("bob", box.fetch("bob", 10, 1_000_000, 1500).mail.map((m) => m.id));
      assert.deepEqual(box.senderUsage("bob", "alice"), { count: 0, bytes: 0 });
    } finally {
      db.close();
    }
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("mailbox: mail from one federated node's users is counted together and capped, across mailboxes", () => {
  const db = withAccounts("bob", "carol");
  try {
    const box = new MailboxStore(db);
    const remote = { server: "home", maxMail: 2, maxBytes: 1000 };
    const fromHome = (recipient: string, n: number, sender: string) => ({
      ...mail(recipient, n),
      sender,
      senderKey: new Uint8Array(32).fill(n),
    });
    const quota = { ...QUOTA, remote };
    const first = box.deposit(fromHome("bob", 1, "alice@home"), quota);
    box.deposit(fromHome("carol", 2, "dave@home"), quota);
    assert.deepEqual(box.remoteUsage("home"), { count: 2, bytes: 20 });
    assert.throws(() => box.deposit(fromHome("bob", 3, "erin@home"), quota), (err: unknown) => {
      assert.ok(err instanceof RemoteQuotaError);
      assert.ok(err instanceof MailboxFullError, "a caller catching MailboxFullError sees it too");
      assert.match(err.message, /holds 2 messages \(20 bytes\) from home/);
      return true;
    });
    // another node's users and local users are not counted against home
    box.deposit(fromHome("bob", 4, "frank@lab"), {
      ...QUOTA,
      remote: { ...remote, server: "lab" },
    });
    box.deposit(mail("bob", 5), QUOTA);
    assert.deepEqual(box.remoteUsage("home"), { count: 2, bytes: 20 });
    assert.deepEqual(box.remoteUsage("lab"), { count: 1, bytes: 10 });
    // a repeat of stored mail is no new mail
    assert.equal(box.deposit(fromHome("bob", 1, "alice@home"), quota), first);
    box.acknowledge("bob", [first]);
    assert.deepEqual(box.remoteUsage("home"), { count: 1, bytes: 10 });
    box.deposit(fromHome("bob", 3, "erin@home"), quota);
  } finally {
    db.close();
  }
});
