import assert from "node:assert/strict";
import fc from "fast-check";
import { bytesEqual } from "../../src/crypto/bytes.ts";

Deno.test("bytesEqual is true for equal contents, including empty and views", () => {
  assert.equal(bytesEqual(new Uint8Array(0), new Uint8Array(0)), true);
  assert.equal(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
  const buffer = new Uint8Array([9, 1, 2, 3, 9]);
  assert.equal(bytesEqual(buffer.subarray(1, 4), new Uint8Array([1, 2, 3])), true);
});

Deno.test("bytesEqual is false for different lengths or contents", () => {
  assert.equal(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2])), false);
  assert.equal(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
  assert.equal(bytesEqual(new Uint8Array(0), new Uint8Array([0])), false);
  assert.equal(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
  assert.equal(bytesEqual(new Uint8Array([0, 2, 3]), new Uint8Array([1, 2, 3])), false);
  // a one-bit difference anywhere in a 32-byte string
  const a = new Uint8Array(32).fill(0x55);
  for (let bit = 0; bit < 256; bit++) {
    const b = a.slice();
    b[bit >> 3]! ^= 1 << (bit & 7);
    assert.equal(bytesEqual(a, b), false, `bit ${bit}`);
  }
});

Deno.test("bytesEqual agrees with element-wise comparison (property)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
      const expected = a.length === b.length && a.every((x, i) => x === b[i]);
      assert.equal(bytesEqual(a, b), expected);
      assert.equal(bytesEqual(a, a.slice()), true);
    }),
  );
});
