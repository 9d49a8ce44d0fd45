import assert from "node:assert/strict";
import { newMessageId } from "../../../src/crypto/envelope.ts";
import { toHex } from "../../../src/crypto/bytes.ts";
import {
  type ForwardItem,
  ForwardQueueFullError,
  ForwardQueueStore,
} from "../../../src/rendezvous/store/forward_queue.ts";
import { memoryStores } from "../protocol_harness.ts";

const NOW = 1_700_000_000_000;

function item(overrides: Partial<ForwardItem> = {}): ForwardItem {
  return {
    server: "work",
    recipient: "bob",
    sender: "alice",
    senderKey: new Uint8Array(32).fill(1),
    messageId: newMessageId(),
    envelope: new Uint8Array([1, 2, 3]),
    ...overrides,
  };
}

function queue(): ForwardQueueStore {
  return new ForwardQueueStore(memoryStores().db);
}

Deno.test("forward queue: an envelope queued twice is one row, in whatever state it reached", () => {
  const q = queue();
  const first = item();
  const row = q.enqueue(first, NOW, NOW + 1000, 10);
  assert.equal(row.state, "queued");
  assert.deepEqual(row.envelope, first.envelope);
  assert.equal(q.enqueue(first, NOW + 1, NOW + 1000, 10).id, row.id);
  q.delivered(row.id, NOW + 2);
  const again = q.enqueue(first, NOW + 3, NOW + 1000, 10);
  assert.equal(again.id, row.id);
  assert.equal(again.state, "delivered");
  assert.equal(again.envelope, undefined, "the envelope is dropped once delivered");
  // the same message id for another recipient is another row
  assert.notEqual(q.enqueue({ ...first, recipient: "carol" }, NOW, NOW + 1000, 10).id, row.id);
});

Deno.test("forward queue: a sender's queued envelopes are capped; delivered ones do not count", () => {
  const q = queue();
  const a = q.enqueue(item(), NOW, NOW + 1000, 2);
  q.enqueue(item(), NOW, NOW + 1000, 2);
  assert.throws(() => q.enqueue(item(), NOW, NOW + 1000, 2), ForwardQueueFullError);
  q.enqueue(item({ sender: "carol" }), NOW, NOW + 1000, 2);
  q.delivered(a.id, NOW);
  q.enqueue(item(), NOW, NOW + 1000, 2);
  assert.equal(q.queuedBy("alice"), 2);
  assert.equal(q.queuedFor("work"), 3);
});

Deno.test("forward queue: due rows oldest first; a retry moves one later, makeDue brings all back", () => {
  const q = queue();
  const a = q.enqueue(item(), NOW, NOW + 10_000, 10);
  const b = q.enqueue(item(), NOW, NOW + 10_000, 10);
  q.enqueue(item({ server: "lab" }), NOW, NOW + 10_000, 10);
  assert.deepEqual(q.due("work", NOW, 10).map((r) => r.id), [a.id, b.id]);
  assert.deepEqual(q.due("work", NOW, 1).map((r) => r.id), [a.id]);
  q.retryAt(a.id, NOW + 500, NOW);
  assert.deepEqual(q.due("work", NOW, 10).map((r) => r.id), [b.id]);
  assert.equal(q.get(a.id)?.attempts, 1);
  assert.equal(q.nextDue("work"), NOW);
  q.failed(b.id, { status: "E_MAILBOX_FULL", statusText: "full", retryAfterMs: 9 }, NOW);
  assert.equal(q.nextDue("work"), NOW + 500);
  q.makeDue("work", NOW + 1);
  assert.deepEqual(q.due("work", NOW + 1, 10).map((r) => r.id), [a.id]);
  q.delivered(a.id, NOW);
  assert.equal(q.nextDue("work"), undefined);
});

Deno.test("forward queue: an outcome is final; a refusal keeps its status for the sender", () => {
  const q = queue();
  const row = q.enqueue(item(), NOW, NOW + 1000, 10);
  q.failed(
    row.id,
    { status: "E_SENDER_QUOTA", statusText: "work refused: full", retryAfterMs: 7 },
    NOW,
  );
  q.delivered(row.id, NOW);
  q.retryAt(row.id, NOW + 5, NOW);
  const failed = q.get(row.id)!;
  assert.equal(failed.state, "failed");
  assert.equal(failed.status, "E_SENDER_QUOTA");
  assert.equal(failed.statusText, "work refused: full");
  assert.equal(failed.retryAfterMs, 7);
  assert.equal(failed.attempts, 0);
  assert.equal(failed.envelope, undefined);
});

Deno.test("forward queue: bySender finds only that sender's rows, by message id in hex", () => {
  const q = queue();
  const mine = item();
  const theirs = item({ sender: "carol" });
  q.enqueue(mine, NOW, NOW + 1000, 10);
  q.enqueue(theirs, NOW, NOW + 1000, 10);
  const found = q.bySender("alice", [mine.messageId, theirs.messageId]);
  assert.deepEqual([...found.keys()], [toHex(mine.messageId)]);
});

Deno.test("forward queue: purge fails what expired unforwarded and forgets old outcomes", () => {
  const q = queue();
  const expiring = q.enqueue(item(), NOW, NOW + 100, 10);
  const done = q.enqueue(item(), NOW, NOW + 10_000, 10);
  const waiting = q.enqueue(item(), NOW, NOW + 10_000, 10);
  q.delivered(done.id, NOW);
  assert.equal(q.purge(NOW + 100, NOW - 1), 1);
  assert.equal(q.get(expiring.id)?.state, "failed");
  assert.match(q.get(expiring.id)!.statusText, /could not be reached before the message expired/);
  assert.equal(q.get(done.id)?.state, "delivered");
  q.purge(NOW + 200, NOW + 150);
  assert.equal(q.get(done.id), undefined);
  assert.equal(q.get(expiring.id), undefined);
  assert.equal(q.get(waiting.id)?.state, "queued");
});
