/**
 * Encryption of data at rest (message bodies in the peer database) with the profile's storage key.
 *
 * Layout: nonce (12 random bytes) ‖ AES-256-GCM ciphertext ‖ tag (16). The associated data is
 * "tincan-at-rest-v1" ‖ 0x00 ‖ context, so a sealed value moved to another row does not open.
 */
import { aesGcmOpen, aesGcmSeal, concat, NONCE_BYTES, randomBytes } from "./primitives.ts";

const DOMAIN = new TextEncoder().encode("tincan-at-rest-v1");

function associatedData(context: Uint8Array): Uint8Array {
  return concat(DOMAIN, Uint8Array.of(0), context);
}

/** Seals `plaintext` under the 32-byte storage `key`, bound to `context` (e.g. a message id). */
export async function sealAtRest(
  key: Uint8Array,
  plaintext: Uint8Array,
  context: Uint8Array,
): Promise<Uint8Array> {
  const nonce = randomBytes(NONCE_BYTES);
  return concat(nonce, await aesGcmSeal(key, nonce, plaintext, associatedData(context)));
}

/**
 * Opens a value sealed by sealAtRest.
 * @throws DecryptionError when the key, context or bytes are wrong.
 */
export async function openAtRest(
  key: Uint8Array,
  sealed: Uint8Array,
  context: Uint8Array,
): Promise<Uint8Array> {
  return await aesGcmOpen(
    key,
    sealed.subarray(0, NONCE_BYTES),
    sealed.subarray(NONCE_BYTES),
    associatedData(context),
  );
}
