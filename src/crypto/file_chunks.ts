/**
 * Encryption of file chunks: pure, bytes in and bytes out.
 *
 * Every data stream has a fresh 32-byte salt chosen by the sender, and its chunks are sealed under
 * `streamKey = HKDF-SHA-256(ikm = fileKey, salt, info = "tincan-file-v1 chunk key", 32)`. So a
 * chunk sent again on a later stream (a resumed transfer) never reuses a key and nonce, even if
 * the file changed in between.
 *
 * Chunk `index` (0-based): AES-256-GCM under the stream key with
 *   nonce = 0x00000000 ‖ index as uint64 big-endian (12 bytes)
 *   AD    = transferId (16 bytes) ‖ index as uint64 big-endian (8 bytes)
 * and the sealed chunk is `ciphertext ‖ tag (16)`, the ciphertext as long as the plaintext.
 */
import {
  aesGcmOpen,
  aesGcmSeal,
  checkLength,
  DecryptionError,
  hkdfSha256,
  NONCE_BYTES,
  TAG_BYTES,
} from "./primitives.ts";

/** Bytes of a transfer id. */
export const TRANSFER_ID_BYTES = 16;
/** Bytes of a file key (AES-256). */
export const FILE_KEY_BYTES = 32;
/** Bytes of the per-stream salt the chunk key is derived with. */
export const SALT_BYTES = 32;

const INFO = new TextEncoder().encode("tincan-file-v1 chunk key");

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
 * Seals chunk `index` (see the module comment for the layout).
 * @throws RangeError for a bad key, transfer id or index.
 */
export async function sealChunk(
  key: Uint8Array,
  transferId: Uint8Array,
  index: number,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  return await aesGcmSeal(key, chunkNonce(index), plaintext, chunkAd(transferId, index));
}

/**
 * Opens chunk `index`.
 * @throws DecryptionError when it was altered, or sealed for another index, transfer or key;
 * RangeError for a bad key, transfer id or index, or input shorter than a tag.
 */
export async function openChunk(
  key: Uint8Array,
  transferId: Uint8Array,
  index: number,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  return await aesGcmOpen(key, chunkNonce(index), sealed, chunkAd(transferId, index));
}

/**
 * The chunk cipher of one data stream of one transfer: the same layout as sealChunk/openChunk,
 * with the stream key imported into WebCrypto once instead of per chunk, and no extra copies. Seals
 * and opens may be in flight together, so the data stream overlaps them with its I/O.
 */
export class ChunkCipher {
  private constructor(
    private readonly key: CryptoKey,
    private readonly transferId: Uint8Array,
  ) {}

  /**
   * The cipher for `transferId` under `streamKey(fileKey, salt)`.
   * @throws RangeError when the file key is not 32 bytes, the salt not 32 or the id not 16.
   */
  static async create(
    fileKey: Uint8Array,
    salt: Uint8Array,
    transferId: Uint8Array,
  ): Promise<ChunkCipher> {
    checkLength("a transfer id", transferId, TRANSFER_ID_BYTES);
    const raw = new Uint8Array(streamKey(fileKey, salt));
    const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    return new ChunkCipher(key, new Uint8Array(transferId));
  }

  /**
   * Seals chunk `index`: `ciphertext ‖ tag`.
   * @throws RangeError for a bad index.
   */
  async seal(index: number, plaintext: Uint8Array): Promise<Uint8Array> {
    const params = this.#params(index);
    const data = plaintext as Uint8Array<ArrayBuffer>;
    return new Uint8Array(await crypto.subtle.encrypt(params, this.key, data));
  }

  /**
   * Opens chunk `index`.
   * @throws DecryptionError when it was altered, or sealed for another index, transfer or key;
   * RangeError for a bad index or input shorter than a tag.
   */
  async open(index: number, sealed: Uint8Array): Promise<Uint8Array> {
    if (sealed.length < TAG_BYTES) {
      throw new RangeError(
        `a sealed chunk must hold a ${TAG_BYTES}-byte tag, got ${sealed.length}`,
      );
    }
    const params = this.#params(index);
    try {
      const data = sealed as Uint8Array<ArrayBuffer>;
      return new Uint8Array(await crypto.subtle.decrypt(params, this.key, data));
    } catch (err: unknown) {
      throw new DecryptionError("AES-GCM authentication failed", { cause: err });
    }
  }

  #params(index: number): AesGcmParams {
    return {
      name: "AES-GCM",
      iv: chunkNonce(index) as Uint8Array<ArrayBuffer>,
      additionalData: chunkAd(this.transferId, index) as Uint8Array<ArrayBuffer>,
    };
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
