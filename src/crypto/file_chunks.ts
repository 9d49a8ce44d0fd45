/**
 * Encryption of file chunks: pure, bytes in and bytes out.
 *
 * Chunk format 2 (CHUNK_FORMAT), the only one this version speaks. Every data stream has a fresh
 * 32-byte salt chosen by the sender, and its chunks are sealed under
 *
 *   streamKey = HKDF-SHA-256(ikm = fileKey, salt, info = "tincan-file-v2 chunk key", L = 32)
 *
 * so a chunk sent again on a later stream (a resumed transfer) never reuses a key and nonce, even
 * if the file changed in between. Chunk `index` (0-based) is ChaCha20-Poly1305 (RFC 8439, on
 * node:crypto) under the stream key with
 *
 *   nonce = 0x00000000 ‖ index as uint64 big-endian                 (12 bytes)
 *   AD    = transferId (16 bytes) ‖ index as uint64 big-endian       (24 bytes)
 *   sealed chunk = ciphertext ‖ Poly1305 tag (16)                   (plaintext length + 16)
 *
 * The nonce and AD bind a chunk to its place, the AD to its transfer and the key to its stream: a
 * flipped bit, a truncated, reordered or replayed chunk (from another transfer or stream) fails
 * its tag. The format travels in the offer, the stream request and the sender's header
 * (src/proto/file.proto); the earlier format 0 (AES-256-GCM under "tincan-file-v1 chunk key",
 * otherwise the same layout) is refused by name on either side, never decrypted as garbage.
 * ChaCha20-Poly1305 replaced it because Deno's WebCrypto AES-GCM cost about twice the CPU per
 * MiB on the JS thread (bench/files.ts; README "Figures").
 */
import { checkLength, hkdfSha256, NONCE_BYTES } from "./primitives.ts";
import {
  chacha20Poly1305Open,
  chacha20Poly1305OpenPieces,
  chacha20Poly1305Seal,
  chacha20Poly1305SealPieces,
} from "./aead.ts";

/** The chunk format this version seals and opens (see the module comment). */
export const CHUNK_FORMAT = 2;
/** Bytes of a transfer id. */
export const TRANSFER_ID_BYTES = 16;
/** Bytes of a file key. */
export const FILE_KEY_BYTES = 32;
/** Bytes of the per-stream salt the chunk key is derived with. */
export const SALT_BYTES = 32;

/**
 * Ciphertext bytes per piece the sender seals at a time: 64 KiB pieces stay in the CPU's cache
 * and measured about a quarter faster per MiB than one 1 MiB call (bench/files.ts).
 */
export const SEAL_PIECE_BYTES = 64 * 1024;

const INFO = new TextEncoder().encode("tincan-file-v2 chunk key");

/**
 * What a chunk format number means, for messages that refuse another one.
 */
export function describeChunkFormat(format: number): string {
  if (format === CHUNK_FORMAT) return `chunk format ${format} (ChaCha20-Poly1305)`;
  if (format === 0) return "chunk format 0 (AES-256-GCM, before tincan's ChaCha20 file chunks)";
  return `chunk format ${format} (unknown to this version)`;
}

/**
 * The key that seals the chunks of one data stream.
 * @throws RangeError when the file key is not 32 bytes or the salt not 32.
 */
export function streamKey(fileKey: Uint8Array, salt: Uint8Array): Uint8Array {
  checkLength("a file key", fileKey, FILE_KEY_BYTES);
  checkLength("a file stream salt", salt, SALT_BYTES);
  return hkdfSha256(fileKey, salt, INFO, 32);
}

/** The 12-byte nonce of chunk `index`. */
export function chunkNonce(index: number): Uint8Array {
  checkIndex(index);
  const nonce = new Uint8Array(NONCE_BYTES);
  new DataView(nonce.buffer).setBigUint64(4, BigInt(index));
  return nonce;
}

/** The associated data of chunk `index` of transfer `transferId`. */
export function chunkAd(transferId: Uint8Array, index: number): Uint8Array {
  checkLength("a transfer id", transferId, TRANSFER_ID_BYTES);
  checkIndex(index);
  const ad = new Uint8Array(TRANSFER_ID_BYTES + 8);
  ad.set(transferId);
  new DataView(ad.buffer).setBigUint64(TRANSFER_ID_BYTES, BigInt(index));
  return ad;
}

/**
 * Seals chunk `index` under a stream key (see the module comment for the layout).
 * @throws RangeError for a bad key, transfer id or index.
 */
export function sealChunk(
  key: Uint8Array,
  transferId: Uint8Array,
  index: number,
  plaintext: Uint8Array,
): Uint8Array {
  return chacha20Poly1305Seal(key, chunkNonce(index), plaintext, chunkAd(transferId, index));
}

/**
 * Opens chunk `index` under a stream key.
 * @throws DecryptionError when it was altered, or sealed for another index, transfer or key;
 * RangeError for a bad key, transfer id or index, or input shorter than a tag.
 */
export function openChunk(
  key: Uint8Array,
  transferId: Uint8Array,
  index: number,
  sealed: Uint8Array,
): Uint8Array {
  return chacha20Poly1305Open(key, chunkNonce(index), sealed, chunkAd(transferId, index));
}

/**
 * The chunk cipher of one data stream of one transfer: sealChunk/openChunk with the stream key
 * derived once.
 */
export class ChunkCipher {
  private constructor(
    private readonly key: Uint8Array,
    private readonly transferId: Uint8Array,
  ) {}

  /**
   * The cipher for `transferId` under `streamKey(fileKey, salt)`.
   * @throws RangeError when the file key is not 32 bytes, the salt not 32 or the id not 16.
   */
  static create(fileKey: Uint8Array, salt: Uint8Array, transferId: Uint8Array): ChunkCipher {
    checkLength("a transfer id", transferId, TRANSFER_ID_BYTES);
    return new ChunkCipher(streamKey(fileKey, salt), new Uint8Array(transferId));
  }

  /**
   * Seals chunk `index`: `ciphertext ‖ tag`.
   * @throws RangeError for a bad index.
   */
  seal(index: number, plaintext: Uint8Array): Uint8Array {
    return sealChunk(this.key, this.transferId, index, plaintext);
  }

  /**
   * Seals chunk `index` as `seal` does, in pieces: the ciphertext in pieces of at most
   * SEAL_PIECE_BYTES, then the tag, so the sender frames it without copying.
   * @throws RangeError for a bad index.
   */
  sealPieces(index: number, plaintext: Uint8Array): Uint8Array[] {
    const ad = chunkAd(this.transferId, index);
    return chacha20Poly1305SealPieces(this.key, chunkNonce(index), plaintext, ad, SEAL_PIECE_BYTES);
  }

  /**
   * Opens chunk `index`.
   * @throws DecryptionError when it was altered, or sealed for another index, transfer or key;
   * RangeError for a bad index or input shorter than a tag.
   */
  open(index: number, sealed: Uint8Array): Uint8Array {
    return openChunk(this.key, this.transferId, index, sealed);
  }

  /**
   * Opens chunk `index` given as ciphertext pieces (any split, e.g. as it came off the stream)
   * and its tag: the plaintext in pieces of the same lengths, so nothing is joined first.
   * @throws DecryptionError when it was altered, or sealed for another index, transfer or key;
   * RangeError for a bad index or a tag that is not 16 bytes.
   */
  openPieces(index: number, ciphertext: readonly Uint8Array[], tag: Uint8Array): Uint8Array[] {
    const ad = chunkAd(this.transferId, index);
    return chacha20Poly1305OpenPieces(this.key, chunkNonce(index), ciphertext, tag, ad);
  }
}

/** How many chunks a file of `size` bytes has in chunks of `chunkBytes` (an empty file: 0). */
export function chunkCount(size: number, chunkBytes: number): number {
  return Math.ceil(size / chunkBytes);
}

/** Plaintext bytes of chunk `index` of a `size`-byte file. */
export function chunkLength(size: number, chunkBytes: number, index: number): number {
  return Math.max(0, Math.min(chunkBytes, size - index * chunkBytes));
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`a chunk index must be a whole number ≥ 0, not ${index}`);
  }
}
