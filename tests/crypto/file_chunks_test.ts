import assert from "node:assert/strict";
import { DecryptionError } from "../../src/crypto/primitives.ts";
import {
  chunkAd,
  ChunkCipher,
  chunkCount,
  chunkLength,
  chunkNonce,
  openChunk,
  sealChunk,
  streamKey,
} from "../../src/crypto/file_chunks.ts";

const fileKey = new Uint8Array(32).fill(7);
const salt = new Uint8Array(32).fill(9);
const transferId = new Uint8Array(16).fill(1);

Deno.test("nonce and AD are the chunk index, big-endian, as documented", () => {
  assert.deepEqual([...chunkNonce(0x0102)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual([...chunkAd(transferId, 5)], [...transferId, 0, 0, 0, 0, 0, 0, 0, 5]);
  assert.throws(() => chunkNonce(-1), RangeError);
  assert.throws(() => chunkAd(new Uint8Array(15), 0), RangeError);
});

Deno.test("a sealed chunk opens with the same key, transfer and index, and is tag-longer", async () => {
  const key = streamKey(fileKey, salt);
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
  const sealed = await sealChunk(key, transferId, 3, data);
  assert.equal(sealed.length, data.length + 16);
  assert.deepEqual(await openChunk(key, transferId, 3, sealed), data);
});

Deno.test("tampering, another index, transfer, salt or truncation fails the chunk", async () => {
  const key = streamKey(fileKey, salt);
  const sealed = await sealChunk(key, transferId, 3, new Uint8Array(64));
  const flipped = sealed.slice();
  flipped[10]! ^= 1;
  await assert.rejects(() => openChunk(key, transferId, 3, flipped), DecryptionError);
  await assert.rejects(() => openChunk(key, transferId, 4, sealed), DecryptionError);
  await assert.rejects(
    () => openChunk(key, new Uint8Array(16).fill(2), 3, sealed),
    DecryptionError,
  );
  const otherStream = streamKey(fileKey, new Uint8Array(32).fill(8));
  await assert.rejects(() => openChunk(otherStream, transferId, 3, sealed), DecryptionError);
  await assert.rejects(
    () => openChunk(key, transferId, 3, sealed.subarray(0, 70)),
    DecryptionError,
  );
});

Deno.test("chunk counts and lengths cover the file exactly", () => {
  assert.equal(chunkCount(0, 10), 0);
  assert.equal(chunkCount(10, 10), 1);
  assert.equal(chunkCount(11, 10), 2);
  assert.equal(chunkLength(25, 10, 2), 5);
  assert.equal(chunkLength(25, 10, 3), 0);
});

Deno.test("a ChunkCipher seals and opens exactly as sealChunk and openChunk do", async () => {
  const key = streamKey(fileKey, salt);
  const cipher = await ChunkCipher.create(fileKey, salt, transferId);
  const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
  const sealed = await cipher.seal(2, data.subarray(1000, 2000));
  assert.deepEqual(sealed, await sealChunk(key, transferId, 2, data.subarray(1000, 2000)));
  assert.deepEqual(await cipher.open(2, sealed), data.subarray(1000, 2000));
  assert.deepEqual(await openChunk(key, transferId, 2, sealed), data.subarray(1000, 2000));
});

Deno.test("a ChunkCipher refuses a tampered, reordered, foreign or truncated chunk", async () => {
  const cipher = await ChunkCipher.create(fileKey, salt, transferId);
  const sealed = await cipher.seal(3, new Uint8Array(64));
  const flipped = sealed.slice();
  flipped[10]! ^= 1;
  await assert.rejects(() => cipher.open(3, flipped), DecryptionError);
  await assert.rejects(() => cipher.open(4, sealed), DecryptionError);
  const other = await ChunkCipher.create(fileKey, salt, new Uint8Array(16).fill(2));
  await assert.rejects(() => other.open(3, sealed), DecryptionError);
  const resalted = await ChunkCipher.create(fileKey, new Uint8Array(32).fill(8), transferId);
  await assert.rejects(() => resalted.open(3, sealed), DecryptionError);
  await assert.rejects(() => cipher.open(3, sealed.subarray(0, 15)), RangeError);
  await assert.rejects(() => ChunkCipher.create(fileKey, salt, new Uint8Array(15)), RangeError);
});
