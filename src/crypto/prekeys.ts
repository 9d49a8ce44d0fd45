/**
 * Signatures on public prekeys by the owner's Ed25519 identity key: X25519 keys (the identity-DH
 * key, signed prekeys and one-time prekeys) and ML-KEM-768 keys (PQXDH's signed last-resort and
 * signed one-time pqkem prekeys).
 *
 * Signed bytes: "tincan-prekey-v1" ‖ 0x00 ‖ kind (1 byte) ‖ id (4 bytes big-endian) ‖ encoded key,
 * where the encoded key is the raw 32-byte X25519 key for kinds 0-2 and EncodeKEM(key) (kem.ts:
 * the pqkem type byte ‖ the 1184-byte encapsulation key) for kinds 3-4. The kind byte keeps one
 * role from being passed off as another, and the encodings' lengths differ (PQXDH section 2.1
 * asks for pairwise disjoint encodings). A SignedKey carries the raw key either way.
 */
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import type { SignedKey } from "../proto/services.ts";
import { encodeKemPublicKey, isValidKemPublicKey } from "./kem.ts";

/** Which role a signed key plays; part of the signed bytes. */
export enum PrekeyKind {
  /** The X25519 identity-DH key. */
  IdentityDh = 0,
  /** The X25519 signed prekey. */
  Signed = 1,
  /** An X25519 one-time prekey. */
  OneTime = 2,
  /** The ML-KEM-768 signed last-resort prekey (PQXDH's PQSPK). */
  KemLastResort = 3,
  /** An ML-KEM-768 signed one-time prekey (PQXDH's PQOPK). */
  KemOneTime = 4,
}

/** Whether keys of `kind` are ML-KEM-768 encapsulation keys (else X25519 keys). */
export function isKemKind(kind: PrekeyKind): boolean {
  return kind === PrekeyKind.KemLastResort || kind === PrekeyKind.KemOneTime;
}

const DOMAIN = new TextEncoder().encode("tincan-prekey-v1");
export const X25519_KEY_BYTES = 32;
export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/**
 * The bytes an identity key signs for one prekey.
 * @throws RangeError when the key is not of the kind's length (or, for a KEM kind, fails the
 * FIPS 203 modulus check) or the id is not a 32-bit unsigned integer.
 */
export function prekeySignedBytes(kind: PrekeyKind, id: number, publicKey: Uint8Array): Uint8Array {
  if (!isKemKind(kind) && publicKey.length !== X25519_KEY_BYTES) {
    throw new RangeError(`an X25519 public key is 32 bytes, got ${publicKey.length}`);
  }
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new RangeError(`prekey id ${id} is not a 32-bit unsigned integer`);
  }
  const encoded = isKemKind(kind) ? encodeKemPublicKey(publicKey) : publicKey;
  const bytes = new Uint8Array(DOMAIN.length + 1 + 1 + 4 + encoded.length);
  bytes.set(DOMAIN);
  bytes[DOMAIN.length + 1] = kind;
  new DataView(bytes.buffer).setUint32(DOMAIN.length + 2, id);
  bytes.set(encoded, DOMAIN.length + 6);
  return bytes;
}

/**
 * Signs one public prekey (X25519, or ML-KEM-768 for a KEM kind) with the identity key.
 * @throws RangeError as {@link prekeySignedBytes}.
 */
export async function signPrekey(
  kind: PrekeyKind,
  id: number,
  publicKey: Uint8Array,
  identity: PrivateKey,
): Promise<SignedKey> {
  const signature = await identity.sign(prekeySignedBytes(kind, id, publicKey));
  return { id, publicKey, signature };
}

/**
 * True when `signed` is a well-formed key of `kind` (for a KEM kind: one that passes the FIPS 203
 * encapsulation-key check) signed by the raw Ed25519 `identityKey`.
 */
export async function verifyPrekey(
  kind: PrekeyKind,
  signed: SignedKey,
  identityKey: Uint8Array,
): Promise<boolean> {
  const wellFormed = isKemKind(kind)
    ? isValidKemPublicKey(signed.publicKey)
    : signed.publicKey.length === X25519_KEY_BYTES;
  if (
    !wellFormed ||
    signed.signature.length !== ED25519_SIGNATURE_BYTES ||
    identityKey.length !== ED25519_KEY_BYTES
  ) {
    return false;
  }
  try {
    const key = publicKeyFromRaw(identityKey);
    if (key.type !== "Ed25519") return false;
    return await key.verify(prekeySignedBytes(kind, signed.id, signed.publicKey), signed.signature);
  } catch {
    return false;
  }
}
