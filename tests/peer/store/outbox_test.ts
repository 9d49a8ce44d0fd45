import assert from "node:assert/strict";
import { openDatabase } from "../../../src/store/database.ts";
import { OutboxStore } from "../../../src/peer/store/outbox.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";

const id = (n: number) => new Uint8Array(16).fill(n);

Deno.test("hold: pending and sent messages are held, sent ones lose their old-key envelope", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  try {
    const outbox = new OutboxStore(db);
    const body = Uint8Array.of(1, 2, 3);
    for (const n of [1, 2, 3, 4]) {
      outbox.add({ messageId: id(n), recipient: "bob", body, status: "pending", createdAt: n });
    }
    outbox.add({ messageId: id(5), recipient: "carol", body, status: "pending", createdAt: 5 });
    outbox.setEnvelope(id(2), Uint8Array.of(9, 9), 10); // sent, unacknowledged
    outbox.setEnvelope(id(3), Uint8Array.of(8, 8), 10);
    outbox.setStatus(id(3), "delivered", 11);
    outbox.setStatus(id(4), "failed", 11, "no");

    assert.equal(outbox.hold("bob", 20), 2);
    assert.equal(outbox.get(id(1))?.status, "held");
    assert.equal(outbox.get(id(2))?.status, "held");
    assert.equal(outbox.get(id(2))?.envelope, undefined);
    assert.equal(outbox.get(id(3))?.status, "delivered");
    assert.deepEqual(outbox.get(id(3))?.envelope, Uint8Array.of(8, 8));
    assert.equal(outbox.get(id(4))?.status, "failed");
    assert.equal(outbox.get(id(5))?.status, "pending");
    assert.equal(outbox.heldCount("bob"), 2);
    assert.deepEqual(outbox.undelivered("bob"), []);
    assert.deepEqual(outbox.recipientsWithUndelivered(), ["carol"]);

    assert.equal(outbox.release("bob", 30), 2);
    assert.deepEqual(outbox.undelivered("bob").map((e) => [e.messageId[0], e.status]), [
      [1, "pending"],
      [2, "pending"],
    ]);
  } finally {
    db.close();
  }
});

Deno.test("queue: a pending or sent message becomes queued; it is not resent, but it is held", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  try {
    const outbox = new OutboxStore(db);
    const body = Uint8Array.of(1);
    for (const n of [1, 2, 3]) {
      outbox.add({ messageId: id(n), recipient: "bob", body, status: "pending", createdAt: n });
    }
    outbox.setEnvelope(id(1), Uint8Array.of(7), 5);
    outbox.setStatus(id(3), "delivered", 5);
    assert.equal(outbox.queue(id(1), 6), true);
    assert.equal(outbox.queue(id(2), 6), true);
    assert.equal(outbox.queue(id(3), 6), false, "a delivered message stays delivered");
    assert.equal(outbox.get(id(1))?.status, "queued");
    assert.deepEqual(outbox.get(id(1))?.envelope, Uint8Array.of(7));
    assert.deepEqual(outbox.undelivered("bob"), []);
    assert.deepEqual(outbox.recipientsWithUndelivered(), []);
    assert.equal(outbox.hold("bob", 7), 2);
    assert.equal(outbox.get(id(1))?.envelope, undefined);
  } finally {
    db.close();
  }
});

Deno.test("peer schema v3 rebuilds the outbox keeping its rows, order and constraints", () => {
  const path = `${Deno.makeTempDirSync({ prefix: "tincan-outbox-" })}/peer.db`;
  const v2 = openDatabase(path, PEER_MIGRATIONS.slice(0, 2));
  const before = new OutboxStore(v2);
  for (const n of [1, 2, 3]) {
    before.add({
      messageId: id(n),
      recipient: "bob",
      body: Uint8Array.of(n),
      status: "pending",
      createdAt: n,
    });
  }
  before.setEnvelope(id(2), Uint8Array.of(9), 4);
  assert.throws(() => v2.exec("UPDATE outbox SET status = 'queued'"), /CHECK constraint/);
  v2.close();
  const v3 = openDatabase(path, PEER_MIGRATIONS);
  try {
    const after = new OutboxStore(v3);
    assert.deepEqual(after.undelivered("bob").map((e) => e.messageId[0]), [1, 2, 3]);
    assert.deepEqual(after.get(id(2))?.envelope, Uint8Array.of(9));
    assert.equal(after.queue(id(2), 5), true);
    assert.throws(() => v3.exec("UPDATE outbox SET status = 'lost'"), /CHECK constraint/);
    after.add({ messageId: id(4), recipient: "bob", body: id(4), status: "pending", createdAt: 6 });
    const seqs = v3.prepare("SELECT seq FROM outbox ORDER BY seq").all().map((r) => Number(r.seq));
    assert.deepEqual(seqs, [1, 2, 3, 4]);
    assert.throws(
      () =>
        after.add({
          messageId: id(4),
          recipient: "x",
          body: id(4),
          status: "pending",
          createdAt: 7,
        }),
      /UNIQUE/,
    );
  } finally {
    v3.close();
    Deno.removeSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("stateOf: the recipient and status of a message, undefined for an unknown id", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  try {
    const outbox = new OutboxStore(db);
    const body = Uint8Array.of(1, 2, 3);
    outbox.add({ messageId: id(1), recipient: "bob", body, status: "pending", createdAt: 1 });
    assert.deepEqual(outbox.stateOf(id(1)), { recipient: "bob", status: "pending" });
    outbox.setEnvelope(id(1), Uint8Array.of(9), 2);
    assert.deepEqual(outbox.stateOf(id(1)), { recipient: "bob", status: "sent" });
    assert.equal(outbox.stateOf(id(2)), undefined);
  } finally {
    db.close();
  }
});
