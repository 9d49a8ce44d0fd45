import assert from "node:assert/strict";
import { fingerprint } from "../../src/crypto/fingerprint.ts";

Deno.test("fingerprint: 8 groups of 4 hex digits of SHA-256(key)", async () => {
  const key = new Uint8Array(32);
  // SHA-256 of 32 zero bytes starts 66687aadf862bd776c8fc18b8e9f8e20
  assert.equal(await fingerprint(key), "6668 7aad f862 bd77 6c8f c18b 8e9f 8e20");
});

Deno.test("fingerprint: different keys differ, the same key is stable", async () => {
  const a = crypto.getRandomValues(new Uint8Array(32));
  const b = Uint8Array.from(a);
  b[0]! ^= 1;
  assert.equal(await fingerprint(a), await fingerprint(Uint8Array.from(a)));
  assert.notEqual(await fingerprint(a), await fingerprint(b));
});

Deno.test("fingerprint: a key of the wrong length is a RangeError", async () => {
  await assert.rejects(() => fingerprint(new Uint8Array(31)), RangeError);
});
