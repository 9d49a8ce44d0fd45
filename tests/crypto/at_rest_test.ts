import assert from "node:assert/strict";
import {
  openAtRest,
  openAtRestSync,
  sealAtRest,
  sealAtRestSync,
} from "../../src/crypto/at_rest.ts";
import { concat, DecryptionError, NONCE_BYTES, TAG_BYTES } from "../../src/crypto/primitives.ts";
import { aesGcmSeal } from "../../src/crypto/aead.ts";
import { flipBit, text } from "./parties.ts";

const KEY = new Uint8Array(32).fill(3);

Deno.test("at rest: nonce ‖ ciphertext ‖ tag, opened by the sync and async forms alike", async () => {
  const sealed = sealAtRestSync(KEY, text("secret"), text("row 1"));
  assert.equal(sealed.length, NONCE_BYTES + 6 + TAG_BYTES);
  assert.deepEqual(openAtRestSync(KEY, sealed, text("row 1")), text("secret"));
  assert.deepEqual(await openAtRest(KEY, sealed, text("row 1")), text("secret"));
  const sealedAsync = await sealAtRest(KEY, text("secret"), text("row 1"));
  assert.deepEqual(openAtRestSync(KEY, sealedAsync, text("row 1")), text("secret"));
  assert.notDeepEqual(sealedAsync.subarray(0, NONCE_BYTES), sealed.subarray(0, NONCE_BYTES));
});

Deno.test("at rest: a value sealed by the earlier WebCrypto implementation still opens", async () => {
  // What sealAtRest stored before it ran on node:crypto: the same layout and associated data.
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const ad = concat(new TextEncoder().encode("tincan-at-rest-v1"), Uint8Array.of(0), text("ctx"));
  const stored = concat(nonce, await aesGcmSeal(KEY, nonce, text("old body"), ad));
  assert.deepEqual(openAtRestSync(KEY, stored, text("ctx")), text("old body"));
});

Deno.test("at rest: another context, another key or a flipped bit does not open", async () => {
  const sealed = sealAtRestSync(KEY, text("secret"), text("row 1"));
  assert.throws(() => openAtRestSync(KEY, sealed, text("row 2")), DecryptionError);
  assert.throws(() => openAtRestSync(new Uint8Array(32), sealed, text("row 1")), DecryptionError);
  assert.throws(() => openAtRestSync(KEY, flipBit(sealed, 100), text("row 1")), DecryptionError);
  await assert.rejects(openAtRest(KEY, flipBit(sealed, 3), text("row 1")), DecryptionError);
  assert.throws(() => openAtRestSync(KEY, sealed.subarray(0, 5), text("row 1")), RangeError);
  await assert.rejects(openAtRest(KEY, sealed.subarray(0, 5), text("row 1")), RangeError);
});
