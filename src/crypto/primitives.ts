/**
 * Thin, length-checked wrappers over the primitives the end-to-end layer uses (the AEADs are in
 * aead.ts; why each runs where it does is measured here).
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
 * (tests/crypto/wycheproof_test.ts). HMAC-SHA-256 and SHA-512 run on @noble/hashes, which
 * bench/primitives.ts measured 3-7x faster than WebCrypto for the small, fresh-key inputs of a
 * ratchet (and faster than node:crypto's createHmac: 5.5-6.7 µs against 6.9-10.5 µs for one
 * 32-byte key and one byte). HKDF-SHA-256 runs on node:crypto's hkdfSync: 5.5-6.3 µs for a
 * ratchet message key's 44 bytes against 16.5-17.8 µs on noble (the same runs) — a ratchet
 * message costs one on each side, a DH ratchet step two; the Wycheproof HKDF vectors pass on it.
 * noble's AES is not used: it uses T-tables, which leak timing.
 *
 * Keys are plain bytes so that sessions serialize trivially: an X25519 key pair is its raw
 * 32-byte private scalar and its raw 32-byte public u-coordinate.
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { bytesEqual, toHex } from "./bytes.ts";
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
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
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
