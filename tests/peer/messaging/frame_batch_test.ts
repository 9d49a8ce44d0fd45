import assert from "node:assert/strict";
import { takeBatch } from "../../../src/peer/messaging/frame_batch.ts";
import {
  MAX_CHAT_FRAME_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_ENVELOPES_PER_FRAME,
} from "../../../src/protocol/limits.ts";

const sizes = (queue: number[]) => takeBatch(queue, (n) => n);

Deno.test("frame batch: takes the oldest, at most MAX_ENVELOPES_PER_FRAME, and leaves the rest", () => {
  const queue = Array.from({ length: MAX_ENVELOPES_PER_FRAME + 5 }, () => 200);
  assert.equal(sizes(queue).length, MAX_ENVELOPES_PER_FRAME);
  assert.equal(queue.length, 5);
  assert.equal(sizes(queue).length, 5);
  assert.deepEqual(queue, []);
  assert.deepEqual(sizes(queue), []);
});

Deno.test("frame batch: stops before MAX_CHAT_FRAME_BYTES; a largest envelope still goes alone", () => {
  const queue = [60_000, 60_000, 60_000];
  const first = sizes(queue);
  assert.deepEqual(first, [60_000, 60_000]);
  assert.ok(first.reduce((a, b) => a + b, 0) < MAX_CHAT_FRAME_BYTES);
  assert.deepEqual(sizes(queue), [60_000]);
  const large = [MAX_ENVELOPE_BYTES, 2000];
  assert.deepEqual(sizes(large), [MAX_ENVELOPE_BYTES]);
  assert.deepEqual(sizes(large), [2000]);
});

Deno.test("frame batch: bytes reserved for a frame's Acks leave less room, maybe none", () => {
  const queue = [60_000, 60_000];
  assert.deepEqual(takeBatch(queue, (n) => n, 20_000), [60_000], "one fits beside the Acks");
  assert.deepEqual(queue, [60_000]);
  const large = [MAX_ENVELOPE_BYTES];
  assert.deepEqual(takeBatch(large, (n) => n, 2000), [], "the Acks go first, alone");
  assert.deepEqual(takeBatch(large, (n) => n), [MAX_ENVELOPE_BYTES], "then it goes alone");
});
