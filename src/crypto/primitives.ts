/**
 * Thin, length-checked wrappers over the primitives the end-to-end layer uses.
 *
 * Everything runs on node:crypto except the hashes. AES-256-GCM (ratchet messages, bodies at
 * rest) and ChaCha20-Poly1305 (bulk file data only): bench/files.ts measured it faster than
 * WebCrypto's AES-GCM for 1 MiB chunks, and bench/primitives.ts 2-4x faster for the 100-byte,
 * fresh-key seals of a ratchet (synchronous: no key import, no trip through the op queue; the
 * RustCrypto AES behind it is constant-time). Ed25519 and X25519 too: bench/primitives.ts
 * measured, in one run on this machine, an Ed25519 verification at 41 µs (55 µs with the key
 * imported) against 126-133 µs on WebCrypto, a signature at 32 µs against 87 µs (WebCrypto;
 * libp2p's key.sign is that), an X25519 agreement at 66-120 µs against 207 µs and a fresh X25519
 * key pair at 29 µs against 266 µs — a DH ratchet step (a key pair and two agreements) goes from
 * about 0.7 ms to 0.2 ms. Deno implements them with the same RustCrypto/dalek code as WebCrypto,
 * synchronously; the Wycheproof Ed25519 vectors (strict RFC 8032: non-canonical S and malformed
 * points refused) and X25519 vectors (the 31 low-order points throw) pass on this form
 * (tests/crypto/wycheproof_test.ts). HMAC-SHA-256, HKDF-SHA-256 and SHA-512 run on
 * @noble/hashes, which bench/primitives.ts measured 3-7x faster than WebCrypto for the small,
 * fresh-key inputs of a ratchet. noble's AES is not used: it uses T-tables, which leak timing.
 *
 * Keys are plain bytes so that sessions serialize trivially: an X25519 key pair is its raw
 * 32-byte private scalar and its raw 32-byte public u-coordinate.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { bytesEqual, toHex } from "./bytes.ts";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";

/** Bytes of an X25519 private or public key and of an X25519 shared secret. */
export const X25519_BYTES = 32;
/** Bytes of a raw Ed25519 public key. */
export const ED25519_PUBLIC_BYTES = 32;
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;
/** Bytes of an AES-256 key. */
export const AES_KEY_BYTES = 32;
/** Bytes of an AES-GCM or ChaCha20-Poly1305 nonce (96 bits, the only size this module accepts). */
export const NONCE_BYTES = 12;
/** Bytes of an AES-GCM or Poly1305 authentication tag (128 bits). */
export const TAG_BYTES = 16;
/** Bytes of an HMAC-SHA-256 output, and the most HKDF-SHA-256 can produce is 255 times this. */
export const SHA256_BYTES = 32;

/** The DER prefixes (RFC 8410) that wrap a raw 32-byte key for node:crypto's key import. */
const DER_PREFIX = {
  x25519Private: derPrefix("302e020100300506032b656e04220420"),
  x25519Public: derPrefix("302a300506032b656e032100"),
  ed25519Private: derPrefix("302e020100300506032b657004220420"),
  ed25519Public: derPrefix("302a300506032b6570032100"),
} as const;

function derPrefix(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
}

/** An X25519 key pair as raw bytes (private scalar, public u-coordinate), 32 bytes each. */
export interface X25519KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Where fresh X25519 key pairs come from; tests inject deterministic ones. */
export type KeyPairSource = () => Promise<X25519KeyPair>;

/**
 * Something that signs with an Ed25519 identity. A libp2p PrivateKey fits through
 * {@link signerFromPrivateKey}; tests can pass any implementation.
 */
export interface Signer {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** A 64-byte Ed25519 signature over `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Thrown when AES-GCM authentication fails: wrong key, nonce, associated data or altered bytes. */
export class DecryptionError extends Error {
  override name = "DecryptionError";
}

/** Throws a RangeError unless `bytes` is exactly `length` bytes long. */
export function checkLength(what: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new RangeError(`${what} must be ${length} bytes, got ${got}`);
  }
}

/** A copy in a fresh, plain Uint8Array (unlike Buffer#slice, which would alias its input). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Concatenates byte strings. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `length` bytes from the system CSPRNG. */
export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A fresh X25519 key pair (node:crypto, the system CSPRNG). The default {@link KeyPairSource}. */
// deno-lint-ignore require-await -- a KeyPairSource is async (tests inject deterministic ones)
export async function generateX25519KeyPair(): Promise<X25519KeyPair> {
  const pair = generateKeyPairSync("x25519");
  const pkcs8 = pair.privateKey.export({ format: "der", type: "pkcs8" });
  const privateKey = copyBytes(pkcs8.subarray(DER_PREFIX.x25519Private.length));
  pkcs8.fill(0);
  const spki = pair.publicKey.export({ format: "der", type: "spki" });
  return { privateKey, publicKey: copyBytes(spki.subarray(DER_PREFIX.x25519Public.length)) };
}

/** node:crypto's key object of a raw key, through its RFC 8410 DER wrapping. */
function importRaw(kind: keyof typeof DER_PREFIX, raw: Uint8Array): KeyObject {
  const der = Buffer.from(concat(DER_PREFIX[kind], raw));
  try {
    return kind.endsWith("Private")
      ? createPrivateKey({ key: der, format: "der", type: "pkcs8" })
      : createPublicKey({ key: der, format: "der", type: "spki" });
  } finally {
    der.fill(0);
  }
}

/**
 * The X25519 shared secret of a raw private key and a peer's raw public key (RFC 7748).
 * The caller should zero the result once it has been fed to a KDF.
 * @throws RangeError when a key is not 32 bytes, or when the public key is a low-order point
 * (the shared secret would be all zeros and carry no secret).
 */
// deno-lint-ignore require-await -- async so that bad keys reject, as WebCrypto's did
export async function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
  checkLength("an X25519 private key", privateKey, X25519_BYTES);
  checkLength("an X25519 public key", publicKey, X25519_BYTES);
  const ours = importRaw("x25519Private", privateKey);
  const theirs = importRaw("x25519Public", publicKey);
  try {
    // node:crypto refuses an all-zero result (a low-order public key) by throwing.
    return copyBytes(diffieHellman({ privateKey: ours, publicKey: theirs }));
  } catch (err: unknown) {
    throw new RangeError("X25519 public key is a low-order point: no shared secret", {
      cause: err,
    });
  }
}

/**
 * HKDF-SHA-256 (RFC 5869): `length` bytes from `ikm`, `salt` (empty = 32 zero bytes) and `info`.
 * @throws RangeError when `length` is not an integer in 0 .. 255 * 32.
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * SHA256_BYTES) {
    throw new RangeError(
      `HKDF-SHA-256 can produce 0 .. ${255 * SHA256_BYTES} bytes, not ${length}`,
    );
  }
  if (length === 0) return new Uint8Array(0);
  return hkdf(sha256, ikm, salt, info, length);
}

/** HMAC-SHA-256 of `data` under `key` (32 bytes out). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}

/** SHA-256 of `data` (32 bytes out). */
export function sha256Hash(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/** SHA-512 of `data` (64 bytes out). */
export function sha512(data: Uint8Array): Uint8Array {
  return nobleSha512(data);
}

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

/**
 * Whether `signature` is a valid Ed25519 signature of `data` by the raw public key (RFC 8032,
 * strict: non-canonical signatures and malformed keys give false).
 * @throws RangeError when the public key is not 32 bytes (a caller bug: check keys on parsing).
 */
// deno-lint-ignore require-await -- async for callers written against WebCrypto's verify
export async function ed25519Verify(
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  checkLength("an Ed25519 public key", publicKey, ED25519_PUBLIC_BYTES);
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return nodeVerify(null, data, ed25519VerifyKey(publicKey), signature);
  } catch {
    return false; // a public key that is not a point on the curve
  }
}

/** How many Ed25519 verification keys stay imported (the peers a process talks to). */
export const MAX_CACHED_VERIFY_KEYS = 1024;
/** The imported verification keys, by public key hex, least recently used first. */
const verifyKeys = new Map<string, KeyObject>();

/**
 * node:crypto's key object of a raw Ed25519 public key, from a bounded cache (the least recently
 * used is dropped): importing costs about a quarter of a verification, and the same few keys sign
 * most of what a peer verifies.
 * @throws when the bytes are not a valid point.
 */
function ed25519VerifyKey(publicKey: Uint8Array): KeyObject {
  const id = toHex(publicKey);
  let key = verifyKeys.get(id);
  if (key === undefined) {
    key = importRaw("ed25519Public", publicKey);
    if (verifyKeys.size >= MAX_CACHED_VERIFY_KEYS) {
      verifyKeys.delete(verifyKeys.keys().next().value!);
    }
  } else {
    verifyKeys.delete(id);
  }
  verifyKeys.set(id, key);
  return key;
}

/**
 * The shape of a libp2p Ed25519 PrivateKey that {@link signerFromPrivateKey} needs: its raw
 * bytes are the 32-byte seed followed by the 32-byte public key.
 */
export interface PrivateKeyLike {
  readonly raw: Uint8Array;
  readonly publicKey: { readonly raw: Uint8Array };
}

/**
 * Adapts a libp2p Ed25519 PrivateKey (the node's identity) to a {@link Signer}, signing on
 * node:crypto with the key imported once (the same deterministic RFC 8032 signatures as libp2p's
 * key.sign, in less than half the time: see the module's note).
 * @throws RangeError when the key is not Ed25519 (its public key is not 32 bytes, or its raw form
 * not seed and public key), or the seed does not give its public key.
 */
export function signerFromPrivateKey(key: PrivateKeyLike): Signer {
  const publicKey = copyBytes(key.publicKey.raw);
  checkLength("an Ed25519 public key", publicKey, ED25519_PUBLIC_BYTES);
  checkLength("an Ed25519 private key (seed and public key)", key.raw, 64);
  const privateKey = importRaw("ed25519Private", key.raw.subarray(0, 32));
  const derived = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  if (!bytesEqual(derived.subarray(DER_PREFIX.ed25519Public.length), publicKey)) {
    throw new RangeError("an Ed25519 private key's seed does not give its public key");
  }
  return {
    publicKey,
    // deno-lint-ignore require-await -- a Signer is async (tests and other keys may need it)
    sign: async (data) => copyBytes(nodeSign(null, data, privateKey)),
  };
}
