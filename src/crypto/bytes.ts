/** Byte-string comparison. */

/**
 * Equality of two public byte strings (keys, hashes, ids). Not for secrets: it exits early; compare
 * secrets with node:crypto timingSafeEqual.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Hex of a byte string (`toHex`) and the bytes of a hex string (`fromHex`, which throws on
 * anything but hex): noble's implementations, used everywhere ids are shown or parsed.
 */
export { bytesToHex as toHex, hexToBytes as fromHex } from "@noble/hashes/utils.js";
