import assert from "node:assert/strict";
import { backoffDelay } from "../../src/net/backoff.ts";

Deno.test("backoff doubles from the minimum up to the maximum", () => {
  const top = (attempt: number) =>
    backoffDelay(attempt, { minMs: 1000, maxMs: 30_000, random: () => 0.999999 });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 60].map(top), [
    1000,
    2000,
    4000,
    8000,
    16_000,
    30_000,
    30_000,
    30_000,
  ]);
});

Deno.test("backoff jitter keeps each delay between half and all of its step", () => {
  assert.equal(backoffDelay(3, { minMs: 1000, maxMs: 30_000, random: () => 0 }), 4000);
  for (let i = 0; i < 100; i++) {
    const delay = backoffDelay(2, { minMs: 1000, maxMs: 30_000 });
    assert.ok(delay >= 2000 && delay <= 4000, `${delay}`);
  }
});

Deno.test("backoff refuses negative attempts and inverted bounds", () => {
  assert.throws(() => backoffDelay(-1, { minMs: 1, maxMs: 2 }), RangeError);
  assert.throws(() => backoffDelay(0, { minMs: 5, maxMs: 2 }), RangeError);
});
