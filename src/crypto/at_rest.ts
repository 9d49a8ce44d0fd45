/**
 * Encryption of data at rest (message bodies, private keys, ratchet and chain state in the peer
 * database) with the profile's storage key.
 *
 * Layout: nonce (12 random bytes) ‖ AES-256-GCM ciphertext ‖ tag (16). The associated data is
 * "tincan-at-rest-v1" ‖ 0x00 ‖ context, so a sealed value moved to another row does not open.
 * The synchronous forms (for stores that seal inside an SQLite transaction) and the async ones
 * are the same function and make the same bytes.
 */
import { concat, NONCE_BYTES, randomBytes } from "./primitives.ts";
import { aesGcmOpenSync, aesGcmSealSync } from "./aead.ts";

const DOMAIN = new TextEncoder().encode("tincan-at-rest-v1");

function associatedData(context: Uint8Array): Uint8Array {
  return concat(DOMAIN, Uint8Array.of(0), context);
}

/**
 * Seals `plaintext` under the 32-byte storage `key`, bound to `context` (e.g. a message id).
 * @throws RangeError when the key is not 32 bytes.
 */
export function sealAtRestSync(
  key: Uint8Array,
  plaintext: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  return concat(nonce, aesGcmSealSync(key, nonce, plaintext, associatedData(context)));
}

/**
 * Opens a value sealed by sealAtRestSync or sealAtRest.
 * @throws DecryptionError when the key, context or bytes are wrong; RangeError when `sealed` is
 * too short to be a sealed value, or the key is not 32 bytes.
 */
export function openAtRestSync(
  key: Uint8Array,
  sealed: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  if (sealed.length < NONCE_BYTES) {
    throw new RangeError(`a value sealed at rest must hold a nonce, got ${sealed.length} bytes`);
  }
  return aesGcmOpenSync(
    key,
    sealed.subarray(0, NONCE_BYTES),
    sealed.subarray(NONCE_BYTES),
    associatedData(context),
  );
}

/**
 * sealAtRestSync, as a promise.
 * @throws RangeError when the key is not 32 bytes.
 */
export function sealAtRest(
  key: Uint8Array,
  plaintext: Uint8Array,
  context: Uint8Array,
): Promise<Uint8Array> {
  return Promise.try(() => sealAtRestSync(key, plaintext, context));
}

/**
 * openAtRestSync, as a promise (rejected as openAtRestSync throws).
 * @throws DecryptionError when the key, context or bytes are wrong.
 */
export function openAtRest(
  key: Uint8Array,
  sealed: Uint8Array,
  context: Uint8Array,
): Promise<Uint8Array> {
  return Promise.try(() => openAtRestSync(key, sealed, context));
}
