import assert from "node:assert/strict";
import { openDatabase } from "../../src/store/database.ts";
import { OutboxStore } from "../../src/store/outbox.ts";
import { PEER_MIGRATIONS } from "../../src/store/peer_schema.ts";

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
