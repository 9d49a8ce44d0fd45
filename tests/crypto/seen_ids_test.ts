import assert from "node:assert/strict";
import { SeenIds } from "../../src/crypto/seen_ids.ts";

const id = (n: number) => new Uint8Array(16).fill(n);

Deno.test("SeenIds reports a duplicate id", () => {
  const seen = new SeenIds();
  assert.equal(seen.add(id(1), 0), true);
  assert.equal(seen.add(id(2), 0), true);
  assert.equal(seen.add(id(1), 5), false);
  assert.equal(seen.has(id(1), 5), true);
  assert.equal(seen.has(id(3), 5), false);
  assert.equal(seen.size, 2);
});

Deno.test("SeenIds forgets the oldest id beyond its size", () => {
  const seen = new SeenIds(3, 1000);
  for (let i = 0; i < 4; i++) assert.equal(seen.add(id(i), i), true);
  assert.equal(seen.size, 3);
  assert.equal(seen.has(id(0), 4), false);
  assert.equal(seen.add(id(3), 4), false);
  assert.equal(seen.add(id(0), 4), true);
});

Deno.test("SeenIds forgets ids older than its age", () => {
  const seen = new SeenIds(100, 1000);
  seen.add(id(1), 0);
  seen.add(id(2), 500);
  assert.equal(seen.has(id(1), 999), true);
  assert.equal(seen.has(id(1), 1000), false);
  assert.equal(seen.add(id(1), 1000), true);
  assert.equal(seen.size, 2);
  assert.equal(seen.add(id(2), 1499), false);
});

Deno.test("SeenIds refuses nonsense bounds", () => {
  assert.throws(() => new SeenIds(0), RangeError);
  assert.throws(() => new SeenIds(1.5), RangeError);
  assert.throws(() => new SeenIds(10, 0), RangeError);
});
