/**
 * A transfer's file key at rest: sealed with the profile's storage key (crypto/at_rest.ts) under
 * the context "file-key:" ‖ transferId, so a sealed key is bound to its transfer.
 */
import { openAtRest, sealAtRest } from "../../crypto/at_rest.ts";

const KEY_CONTEXT = new TextEncoder().encode("file-key:");

/** Seals the file key of `transferId` for the file_transfers table. */
export async function sealFileKey(
  storageKey: Uint8Array,
  transferId: Uint8Array,
  fileKey: Uint8Array,
): Promise<Uint8Array> {
  return await sealAtRest(storageKey, fileKey, keyContext(transferId));
}

/**
 * Opens the sealed file key of `transferId`.
 * @throws DecryptionError when the sealed key was altered, or sealed for another transfer or key.
 */
export async function openFileKey(
  storageKey: Uint8Array,
  transferId: Uint8Array,
  sealedKey: Uint8Array,
): Promise<Uint8Array> {
  return await openAtRest(storageKey, sealedKey, keyContext(transferId));
}

function keyContext(transferId: Uint8Array): Uint8Array {
  const context = new Uint8Array(KEY_CONTEXT.length + transferId.length);
  context.set(KEY_CONTEXT);
  context.set(transferId, KEY_CONTEXT.length);
  return context;
}
