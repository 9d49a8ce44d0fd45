import assert from "node:assert/strict";
import { concat, DecryptionError, TAG_BYTES } from "../../src/crypto/primitives.ts";
import {
  aesGcmOpen,
  aesGcmOpenSync,
  aesGcmSeal,
  aesGcmSealSync,
  chacha20Poly1305Open,
  chacha20Poly1305OpenPieces,
  chacha20Poly1305Seal,
  chacha20Poly1305SealPieces,
} from "../../src/crypto/aead.ts";
import { flipBit, text } from "./parties.ts";

Deno.test("aesGcmSeal lays out ciphertext ‖ tag and aesGcmOpen reverses it", async () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ad = text("header");
  const sealed = await aesGcmSeal(key, nonce, text("hello"), ad);
  assert.equal(sealed.length, 5 + TAG_BYTES);
  assert.deepEqual(await aesGcmOpen(key, nonce, sealed, ad), text("hello"));
  assert.equal((await aesGcmSeal(key, nonce, new Uint8Array(0), ad)).length, TAG_BYTES);
});

Deno.test("aesGcmOpen fails with DecryptionError on any altered input", async () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ad = text("header");
  const sealed = await aesGcmSeal(key, nonce, text("hello"), ad);
  for (let bit = 0; bit < sealed.length * 8; bit += 13) {
    await assert.rejects(aesGcmOpen(key, nonce, flipBit(sealed, bit), ad), DecryptionError);
  }
  await assert.rejects(aesGcmOpen(key, nonce, sealed, flipBit(ad, 3)), DecryptionError);
  await assert.rejects(aesGcmOpen(flipBit(key, 0), nonce, sealed, ad), DecryptionError);
  await assert.rejects(aesGcmOpen(key, flipBit(nonce, 95), sealed, ad), DecryptionError);
  await assert.rejects(aesGcmOpen(key, nonce, sealed.subarray(0, 15), ad), RangeError);
});

Deno.test("aesGcmSealSync and aesGcmOpenSync make and open the same bytes as the WebCrypto forms", async () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ad = text("header");
  for (const length of [0, 1, 16, 33, 5000]) {
    const plaintext = crypto.getRandomValues(new Uint8Array(length));
    const sealed = aesGcmSealSync(key, nonce, plaintext, ad);
    assert.deepEqual(sealed, await aesGcmSeal(key, nonce, plaintext, ad));
    assert.deepEqual(aesGcmOpenSync(key, nonce, sealed, ad), plaintext);
    assert.deepEqual(await aesGcmOpen(key, nonce, sealed, ad), plaintext);
  }
});

Deno.test("aesGcmOpenSync fails with DecryptionError on any altered input", () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ad = text("header");
  const sealed = aesGcmSealSync(key, nonce, text("hello"), ad);
  for (let bit = 0; bit < sealed.length * 8; bit += 13) {
    assert.throws(() => aesGcmOpenSync(key, nonce, flipBit(sealed, bit), ad), DecryptionError);
  }
  assert.throws(() => aesGcmOpenSync(key, nonce, sealed, flipBit(ad, 3)), DecryptionError);
  assert.throws(() => aesGcmOpenSync(flipBit(key, 0), nonce, sealed, ad), DecryptionError);
  assert.throws(() => aesGcmOpenSync(key, flipBit(nonce, 95), sealed, ad), DecryptionError);
  assert.throws(() => aesGcmOpenSync(key, nonce, sealed.subarray(0, 15), ad), RangeError);
  assert.throws(() => aesGcmSealSync(new Uint8Array(16), nonce, text("x"), ad), /32 bytes/);
  assert.throws(() => aesGcmSealSync(key, new Uint8Array(16), text("x"), ad), RangeError);
});

Deno.test("AES-GCM refuses keys that are not 32 bytes and nonces that are not 12", async () => {
  const nonce = new Uint8Array(12);
  await assert.rejects(aesGcmSeal(new Uint8Array(16), nonce, text("x"), text("")), /32 bytes/);
  await assert.rejects(aesGcmSeal(new Uint8Array(32), new Uint8Array(16), text("x"), text("")), {
    name: "RangeError",
  });
  await assert.rejects(
    aesGcmOpen(new Uint8Array(24), nonce, new Uint8Array(16), text("")),
    RangeError,
  );
});

Deno.test("ChaCha20-Poly1305 refuses keys that are not 32 bytes, nonces not 12, input without a tag", () => {
  const [key, nonce] = [new Uint8Array(32), new Uint8Array(12)];
  assert.throws(
    () => chacha20Poly1305Seal(new Uint8Array(16), nonce, text("x"), text("")),
    /32 bytes/,
  );
  assert.throws(
    () => chacha20Poly1305Seal(key, new Uint8Array(8), text("x"), text("")),
    RangeError,
  );
  assert.throws(() => chacha20Poly1305Open(key, nonce, new Uint8Array(15), text("")), RangeError);
  const sealed = chacha20Poly1305Seal(key, nonce, text("x"), text("ad"));
  assert.deepEqual(chacha20Poly1305Open(key, nonce, sealed, text("ad")), text("x"));
  assert.throws(() => chacha20Poly1305Open(key, nonce, sealed, text("da")), DecryptionError);
});

Deno.test("ChaCha20-Poly1305 round-trips a file-sized input into a plain Uint8Array", () => {
  const [key, nonce] = [new Uint8Array(32).fill(1), new Uint8Array(12)];
  const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
  const sealed = chacha20Poly1305Seal(key, nonce, data, text("ad"));
  const opened = chacha20Poly1305Open(key, nonce, sealed, text("ad"));
  assert.deepEqual(opened, data); // strict: the same prototype, not a Buffer
  assert.equal(opened.byteLength, opened.buffer.byteLength);
});

Deno.test("ChaCha20-Poly1305 sealed and opened in pieces is the same bytes; bad input is refused", () => {
  const [key, nonce] = [new Uint8Array(32).fill(2), new Uint8Array(12)];
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13) & 0xff);
  const sealed = chacha20Poly1305Seal(key, nonce, data, text("ad"));
  const pieces = chacha20Poly1305SealPieces(key, nonce, data, text("ad"), 2048);
  assert.deepEqual(pieces.map((p) => p.length), [2048, 2048, 904, 16]);
  assert.deepEqual(concat(...pieces), sealed);
  assert.throws(() => chacha20Poly1305SealPieces(key, nonce, data, text("ad"), 0), RangeError);
  const tag = sealed.subarray(data.length);
  const split = [1, 63, 64, 1000, 3872].reduce<Uint8Array[]>((parts, n) => {
    const at = parts.reduce((sum, p) => sum + p.length, 0);
    return [...parts, sealed.subarray(at, at + n)];
  }, []);
  const opened = chacha20Poly1305OpenPieces(key, nonce, split, tag, text("ad"));
  assert.deepEqual(opened.map((p) => p.length), [1, 63, 64, 1000, 3872]);
  assert.deepEqual(concat(...opened), data);
  assert.throws(
    () => chacha20Poly1305OpenPieces(key, nonce, split, tag, text("other")),
    DecryptionError,
  );
  assert.throws(
    () => chacha20Poly1305OpenPieces(key, nonce, split, tag.subarray(1), text("ad")),
    RangeError,
  );
});
