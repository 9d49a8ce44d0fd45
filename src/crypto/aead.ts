/**
 * The AEADs, length-checked, on node:crypto: AES-256-GCM (ratchet messages, bodies at rest) and
 * ChaCha20-Poly1305 (bulk file data, whole or in pieces). Why node:crypto and not WebCrypto is
 * measured in primitives.ts's header; the Wycheproof vectors run on every form here.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import {
  AES_KEY_BYTES,
  checkLength,
  concat,
  DecryptionError,
  NONCE_BYTES,
  TAG_BYTES,
} from "./primitives.ts";

/**
 * AES-256-GCM encryption, on node:crypto (synchronous; the Promise is kept for callers). Output
 * layout: `ciphertext ‖ tag`, where the ciphertext is as long as the plaintext and the tag is 16
 * bytes; the nonce is NOT included. Never seal twice under the same key and nonce: the ratchet
 * derives both from a one-use message key.
 * @throws RangeError when the key is not 32 bytes or the nonce not 12.
 */
// deno-lint-ignore require-await -- async so that bad lengths reject, as WebCrypto's did
export async function aesGcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  return aesGcmSealSync(key, nonce, plaintext, associatedData);
}

/**
 * AES-256-GCM decryption of `ciphertext ‖ tag` (see {@link aesGcmSeal}).
 * @throws RangeError when the key is not 32 bytes, the nonce not 12 or `sealed` is shorter than
 * a tag; DecryptionError when authentication fails.
 */
// deno-lint-ignore require-await -- async so that failures reject, as WebCrypto's did
export async function aesGcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  return aesGcmOpenSync(key, nonce, sealed, associatedData);
}

/**
 * {@link aesGcmSeal} returning at once: for a store that seals inside an SQLite transaction,
 * which cannot await (at_rest.ts).
 * @throws RangeError when the key is not 32 bytes or the nonce not 12.
 */
export function aesGcmSealSync(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  checkLength("an AES-256 key", key, AES_KEY_BYTES);
  checkLength("an AES-GCM nonce", nonce, NONCE_BYTES);
  return aeadSeal("aes-256-gcm", key, nonce, plaintext, associatedData);
}

/**
 * {@link aesGcmOpen} returning at once (see {@link aesGcmSealSync}).
 * @throws RangeError when the key is not 32 bytes, the nonce not 12 or `sealed` is shorter than
 * a tag; DecryptionError when authentication fails.
 */
export function aesGcmOpenSync(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  checkLength("an AES-256 key", key, AES_KEY_BYTES);
  checkLength("an AES-GCM nonce", nonce, NONCE_BYTES);
  if (sealed.length < TAG_BYTES) {
    throw new RangeError(`AES-GCM input must hold a ${TAG_BYTES}-byte tag, got ${sealed.length}`);
  }
  return aeadOpen("aes-256-gcm", key, nonce, sealed, associatedData);
}

/**
 * ChaCha20-Poly1305 (RFC 8439) encryption: `ciphertext ‖ tag (16)`, synchronous, on node:crypto.
 * As with {@link aesGcmSeal}, callers must never reuse a key and nonce pair.
 * @throws RangeError when the key is not 32 bytes or the nonce not 12.
 */
export function chacha20Poly1305Seal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  checkChachaKeyAndNonce(key, nonce);
  return aeadSeal("chacha20-poly1305", key, nonce, plaintext, associatedData);
}

/**
 * ChaCha20-Poly1305 decryption of `ciphertext ‖ tag` (see {@link chacha20Poly1305Seal}).
 * @throws RangeError when the key is not 32 bytes, the nonce not 12 or `sealed` is shorter than
 * a tag; DecryptionError when authentication fails.
 */
export function chacha20Poly1305Open(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  checkChachaKeyAndNonce(key, nonce);
  if (sealed.length < TAG_BYTES) {
    throw new RangeError(
      `ChaCha20-Poly1305 input must hold a ${TAG_BYTES}-byte tag, got ${sealed.length}`,
    );
  }
  return aeadOpen("chacha20-poly1305", key, nonce, sealed, associatedData);
}

/**
 * ChaCha20-Poly1305 encryption as {@link chacha20Poly1305Seal}, returned in pieces instead of one
 * array: the ciphertext in pieces of at most `pieceBytes`, then the tag. A caller that sends the
 * result as a list copies nothing, and the cipher runs over cache-sized pieces. The pieces are
 * node Buffers, which may share node's Buffer pool: read them, never transfer their ArrayBuffer.
 * @throws RangeError when the key is not 32 bytes, the nonce not 12 or `pieceBytes` not ≥ 1.
 */
export function chacha20Poly1305SealPieces(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
  pieceBytes: number,
): Uint8Array[] {
  checkChachaKeyAndNonce(key, nonce);
  if (!Number.isSafeInteger(pieceBytes) || pieceBytes < 1) {
    throw new RangeError(`a piece size must be a whole number ≥ 1, not ${pieceBytes}`);
  }
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData, { plaintextLength: plaintext.length });
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < plaintext.length; at += pieceBytes) {
    pieces.push(cipher.update(plaintext.subarray(at, at + pieceBytes)));
  }
  const tail = cipher.final();
  if (tail.length > 0) pieces.push(tail);
  pieces.push(cipher.getAuthTag());
  return pieces;
}

/**
 * ChaCha20-Poly1305 decryption of a ciphertext given in pieces (any split) and its tag: the
 * plaintext in pieces of the same lengths, released only once the tag checks. The pieces are
 * node Buffers, as with {@link chacha20Poly1305SealPieces}.
 * @throws RangeError when the key is not 32 bytes, the nonce not 12 or the tag not 16;
 * DecryptionError when authentication fails.
 */
export function chacha20Poly1305OpenPieces(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: readonly Uint8Array[],
  tag: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array[] {
  checkChachaKeyAndNonce(key, nonce);
  checkLength("a ChaCha20-Poly1305 tag", tag, TAG_BYTES);
  let length = 0;
  for (const piece of ciphertext) length += piece.length;
  const options = { authTagLength: TAG_BYTES };
  const decipher = createDecipheriv("chacha20-poly1305", key, nonce, options);
  decipher.setAAD(associatedData, { plaintextLength: length });
  decipher.setAuthTag(tag);
  const pieces: Uint8Array[] = [];
  try {
    for (const piece of ciphertext) pieces.push(decipher.update(piece));
    const tail = decipher.final();
    if (tail.length > 0) pieces.push(tail);
  } catch (err: unknown) {
    throw new DecryptionError("ChaCha20-Poly1305 authentication failed", { cause: err });
  }
  return pieces;
}

type AeadAlgorithm = "aes-256-gcm" | "chacha20-poly1305";

const AEAD_NAMES: Readonly<Record<AeadAlgorithm, string>> = {
  "aes-256-gcm": "AES-GCM",
  "chacha20-poly1305": "ChaCha20-Poly1305",
};

/** What a node:crypto AEAD seal takes besides the algorithm (lengths checked by the caller). */
type AeadSealArgs = [
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
];

/** node:crypto AEAD sealing, 16-byte tag appended. */
function aeadSeal(algorithm: AeadAlgorithm, ...args: AeadSealArgs): Uint8Array {
  const sealed = new Uint8Array(args[2].length + TAG_BYTES);
  aeadSealInto(algorithm, sealed, ...args);
  return sealed;
}

/** aeadSeal into `out` (plaintext + 16 bytes long, checked by the caller). */
function aeadSealInto(
  algorithm: AeadAlgorithm,
  out: Uint8Array,
  ...[key, nonce, plaintext, associatedData]: AeadSealArgs
): void {
  const options = { authTagLength: TAG_BYTES };
  const cipher = algorithm === "aes-256-gcm"
    ? createCipheriv(algorithm, key, nonce, options)
    : createCipheriv(algorithm, key, nonce, options);
  cipher.setAAD(associatedData, { plaintextLength: plaintext.length });
  const head = cipher.update(plaintext);
  out.set(head);
  const tail = cipher.final();
  out.set(tail, head.length);
  out.set(cipher.getAuthTag(), plaintext.length);
}

/**
 * node:crypto AEAD opening of `ciphertext ‖ tag` (at least a tag long, checked by the caller).
 * @throws DecryptionError when authentication fails.
 */
function aeadOpen(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  const length = sealed.length - TAG_BYTES;
  const options = { authTagLength: TAG_BYTES };
  const decipher = algorithm === "aes-256-gcm"
    ? createDecipheriv(algorithm, key, nonce, options)
    : createDecipheriv(algorithm, key, nonce, options);
  decipher.setAAD(associatedData, { plaintextLength: length });
  decipher.setAuthTag(sealed.subarray(length));
  let head: Uint8Array;
  let tail: Uint8Array;
  try {
    head = decipher.update(sealed.subarray(0, length));
    tail = decipher.final();
  } catch (err: unknown) {
    throw new DecryptionError(`${AEAD_NAMES[algorithm]} authentication failed`, { cause: err });
  }
  // A large Buffer has an ArrayBuffer of its own: a plain view of it saves copying a file chunk.
  // A small one may share node's Buffer pool, so it is copied out.
  if (tail.length === 0 && head.byteOffset === 0 && head.buffer.byteLength === length) {
    return new Uint8Array(head.buffer, 0, length);
  }
  return concat(head, tail);
}

function checkChachaKeyAndNonce(key: Uint8Array, nonce: Uint8Array): void {
  checkLength("a ChaCha20-Poly1305 key", key, AES_KEY_BYTES);
  checkLength("a ChaCha20-Poly1305 nonce", nonce, NONCE_BYTES);
}
