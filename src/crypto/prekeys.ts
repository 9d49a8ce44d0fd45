/**
 * Signatures on X25519 public keys (the identity-DH key, signed prekeys and one-time prekeys)
 * by the owner's Ed25519 identity key.
 *
 * Signed bytes: "tincan-prekey-v1" ‖ 0x00 ‖ kind (1 byte) ‖ id (4 bytes big-endian) ‖ key (32).
 */
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import type { SignedKey } from "../proto/services.ts";

/** Which role a signed X25519 key plays; part of the signed bytes. */
export enum PrekeyKind {
  IdentityDh = 0,
  Signed = 1,
  OneTime = 2,
}

const DOMAIN = new TextEncoder().encode("tincan-prekey-v1");
export const X25519_KEY_BYTES = 32;
export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** The bytes an identity key signs for one prekey. */
export function prekeySignedBytes(kind: PrekeyKind, id: number, publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== X25519_KEY_BYTES) {
    throw new RangeError(`an X25519 public key is 32 bytes, got ${publicKey.length}`);
  }
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new RangeError(`prekey id ${id} is not a 32-bit unsigned integer`);
  }
  const bytes = new Uint8Array(DOMAIN.length + 1 + 1 + 4 + X25519_KEY_BYTES);
  bytes.set(DOMAIN);
  bytes[DOMAIN.length + 1] = kind;
  new DataView(bytes.buffer).setUint32(DOMAIN.length + 2, id);
  bytes.set(publicKey, DOMAIN.length + 6);
  return bytes;
}

/** Signs one X25519 public key with the identity key. */
export async function signPrekey(
  kind: PrekeyKind,
  id: number,
  publicKey: Uint8Array,
  identity: PrivateKey,
): Promise<SignedKey> {
  const signature = await identity.sign(prekeySignedBytes(kind, id, publicKey));
  return { id, publicKey, signature };
}

/** True when `signed` is a well-formed key of `kind` signed by the raw Ed25519 `identityKey`. */
export async function verifyPrekey(
  kind: PrekeyKind,
  signed: SignedKey,
  identityKey: Uint8Array,
): Promise<boolean> {
  if (
    signed.publicKey.length !== X25519_KEY_BYTES ||
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
