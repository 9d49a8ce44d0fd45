import assert from "node:assert/strict";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, DecryptionError } from "../../src/crypto/primitives.ts";
import {
  CHUNK_FORMAT,
  chunkAd,
  ChunkCipher,
  chunkCount,
  chunkLength,
  chunkNonce,
  describeChunkFormat,
  openChunk,
  SEAL_PIECE_BYTES,
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

Deno.test("format 2 is the documented layout: HKDF v2 key, ChaCha20-Poly1305 (checked with noble)", () => {
  assert.equal(CHUNK_FORMAT, 2);
  const info = new TextEncoder().encode("tincan-file-v2 chunk key");
  const key = hkdf(sha256, fileKey, salt, info, 32);
  assert.deepEqual(streamKey(fileKey, salt), key);
  const data = Uint8Array.from({ length: 4097 }, (_, i) => (i * 13) & 0xff);
  const nonce = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9);
  const ad = Uint8Array.from([...transferId, 0, 0, 0, 0, 0, 0, 0, 9]);
  const expected = chacha20poly1305(key, nonce, ad).encrypt(data);
  assert.deepEqual(ChunkCipher.create(fileKey, salt, transferId).seal(9, data), expected);
  assert.deepEqual(sealChunk(key, transferId, 9, data), expected);
});

Deno.test("chunk formats are named in refusals", () => {
  assert.match(describeChunkFormat(CHUNK_FORMAT), /ChaCha20-Poly1305/);
  assert.match(describeChunkFormat(0), /AES-256-GCM/);
  assert.match(describeChunkFormat(7), /unknown/);
});

Deno.test("a sealed chunk opens with the same key, transfer and index, and is tag-longer", () => {
  const key = streamKey(fileKey, salt);
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
  const sealed = sealChunk(key, transferId, 3, data);
  assert.equal(sealed.length, data.length + 16);
  assert.deepEqual(openChunk(key, transferId, 3, sealed), data);
  assert.deepEqual(
    openChunk(key, transferId, 0, sealChunk(key, transferId, 0, new Uint8Array())),
    new Uint8Array(),
  );
});

Deno.test("tampering, another index, transfer, salt or truncation fails the chunk", () => {
  const key = streamKey(fileKey, salt);
  const sealed = sealChunk(key, transferId, 3, new Uint8Array(64));
  for (const bit of [0, 10 * 8 + 3, 63 * 8 + 7, 64 * 8, 79 * 8 + 7]) {
    const flipped = sealed.slice();
    flipped[bit >> 3]! ^= 1 << (bit & 7);
    assert.throws(() => openChunk(key, transferId, 3, flipped), DecryptionError, `bit ${bit}`);
  }
  assert.throws(() => openChunk(key, transferId, 4, sealed), DecryptionError);
  assert.throws(
    () => openChunk(key, new Uint8Array(16).fill(2), 3, sealed),
    DecryptionError,
  );
  const otherStream = streamKey(fileKey, new Uint8Array(32).fill(8));
  assert.throws(() => openChunk(otherStream, transferId, 3, sealed), DecryptionError);
  assert.throws(
    () => openChunk(key, transferId, 3, sealed.subarray(0, 70)),
    DecryptionError,
  );
  assert.throws(() => openChunk(key, transferId, 3, sealed.subarray(0, 79)), DecryptionError);
  assert.throws(() => openChunk(key, transferId, 3, sealed.subarray(1)), DecryptionError);
  const longer = new Uint8Array(sealed.length + 1);
  longer.set(sealed);
  assert.throws(() => openChunk(key, transferId, 3, longer), DecryptionError);
});

Deno.test("chunk counts and lengths cover the file exactly", () => {
  assert.equal(chunkCount(0, 10), 0);
  assert.equal(chunkCount(10, 10), 1);
  assert.equal(chunkCount(11, 10), 2);
  assert.equal(chunkLength(25, 10, 2), 5);
  assert.equal(chunkLength(25, 10, 3), 0);
});

Deno.test("a ChunkCipher seals and opens exactly as sealChunk and openChunk do", () => {
  const key = streamKey(fileKey, salt);
  const cipher = ChunkCipher.create(fileKey, salt, transferId);
  const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
  const sealed = cipher.seal(2, data.subarray(1000, 2000));
  assert.deepEqual(sealed, sealChunk(key, transferId, 2, data.subarray(1000, 2000)));
  assert.deepEqual(cipher.open(2, sealed), data.subarray(1000, 2000));
  assert.deepEqual(openChunk(key, transferId, 2, sealed), data.subarray(1000, 2000));
  const pieces = cipher.sealPieces(2, data.subarray(1000, 2000));
  assert.deepEqual(concat(...pieces), sealed);
  const ciphertext = sealed.subarray(0, 1000);
  const split = [ciphertext.subarray(0, 1), ciphertext.subarray(1, 700), ciphertext.subarray(700)];
  assert.deepEqual(
    concat(...cipher.openPieces(2, split, sealed.subarray(1000))),
    data.subarray(1000, 2000),
  );
});

Deno.test("a ChunkCipher seals a chunk in SEAL_PIECE_BYTES pieces and opens it in any split", () => {
  const cipher = ChunkCipher.create(fileKey, salt, transferId);
  const data = Uint8Array.from({ length: 2 * SEAL_PIECE_BYTES + 5 }, (_, i) => (i * 11) & 0xff);
  const pieces = cipher.sealPieces(4, data);
  assert.deepEqual(pieces.map((p) => p.length), [SEAL_PIECE_BYTES, SEAL_PIECE_BYTES, 5, 16]);
  const sealed = concat(...pieces);
  assert.deepEqual(sealed, cipher.seal(4, data));
  const tag = sealed.subarray(data.length);
  const opened = cipher.openPieces(
    4,
    [sealed.subarray(0, 3), sealed.subarray(3, data.length)],
    tag,
  );
  assert.deepEqual(opened.map((p) => p.length), [3, data.length - 3]);
  assert.deepEqual(concat(...opened), data);
  const flipped = sealed.slice(0, data.length);
  flipped[SEAL_PIECE_BYTES + 1]! ^= 1;
  assert.throws(() => cipher.openPieces(4, [flipped], tag), DecryptionError);
  assert.throws(
    () => cipher.openPieces(5, [sealed.subarray(0, data.length)], tag),
    DecryptionError,
  );
  assert.throws(() => cipher.openPieces(4, [flipped], tag.subarray(1)), RangeError);
});

Deno.test("a ChunkCipher refuses a tampered, reordered, foreign or truncated chunk", () => {
  const cipher = ChunkCipher.create(fileKey, salt, transferId);
  const sealed = cipher.seal(3, new Uint8Array(64));
  const flipped = sealed.slice();
  flipped[10]! ^= 1;
  assert.throws(() => cipher.open(3, flipped), DecryptionError);
  assert.throws(() => cipher.open(4, sealed), DecryptionError);
  const other = ChunkCipher.create(fileKey, salt, new Uint8Array(16).fill(2));
  assert.throws(() => other.open(3, sealed), DecryptionError);
  const resalted = ChunkCipher.create(fileKey, new Uint8Array(32).fill(8), transferId);
  assert.throws(() => resalted.open(3, sealed), DecryptionError);
  assert.throws(() => cipher.open(3, sealed.subarray(0, 15)), RangeError);
  assert.throws(() => ChunkCipher.create(fileKey, salt, new Uint8Array(15)), RangeError);
});

Deno.test("chunks swapped between two indexes, or replayed on another stream, fail", () => {
  const cipher = ChunkCipher.create(fileKey, salt, transferId);
  const [a, b] = [
    cipher.seal(0, new Uint8Array(32).fill(1)),
    cipher.seal(1, new Uint8Array(32).fill(2)),
  ];
  assert.throws(() => cipher.open(0, b), DecryptionError);
  assert.throws(() => cipher.open(1, a), DecryptionError);
  // A resumed transfer's new stream (fresh salt) never accepts a chunk of the earlier stream.
  const resumed = ChunkCipher.create(fileKey, new Uint8Array(32).fill(10), transferId);
  assert.throws(() => resumed.open(1, b), DecryptionError);
  assert.deepEqual(cipher.open(1, b), new Uint8Array(32).fill(2));
});
