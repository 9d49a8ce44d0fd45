/**
 * Safety numbers: a 60-digit fingerprint of two users' identity keys, the same on both sides, to
 * compare out of band (`/verify`). Signal's numeric fingerprint (NumericFingerprintGenerator):
 *
 *   per side: h = version (u16 BE, 0) ‖ identity key (32) ‖ username (UTF-8)
 *             repeat 5200 times: h = SHA-512(h ‖ identity key)
 *             30 digits = 6 groups of 5, group i = (bytes 5i .. 5i+4 of h as a u40 BE) mod 100000
 *   number  = the two sides' 30 digits, the numerically smaller first → 60 digits, shown as 12
 *             groups of 5 separated by spaces.
 *
 * Sorting makes the order of the arguments irrelevant. The key is fixed-size, so
 * key ‖ username is unambiguous.
 */
import { checkLength, concat, ED25519_PUBLIC_BYTES, sha512 } from "./primitives.ts";

/** SHA-512 iterations per side, as in Signal. */
export const SAFETY_NUMBER_ITERATIONS = 5200;
const VERSION = Uint8Array.of(0, 0);
const encoder = new TextEncoder();

/** One side of a conversation: a username and its raw Ed25519 identity key. */
export interface SafetyNumberParty {
  readonly username: string;
  readonly identityKey: Uint8Array;
}

/**
 * The 30 digits of one side (no spaces).
 * @throws RangeError when the key is not 32 bytes.
 */
export function fingerprintDigits(party: SafetyNumberParty): string {
  checkLength("an Ed25519 identity key", party.identityKey, ED25519_PUBLIC_BYTES);
  let hash = concat(VERSION, party.identityKey, encoder.encode(party.username));
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) {
    hash = sha512(concat(hash, party.identityKey));
  }
  let digits = "";
  for (let offset = 0; offset < 30; offset += 5) {
    let chunk = 0;
    for (let i = 0; i < 5; i++) chunk = chunk * 256 + hash[offset + i]!;
    digits += (chunk % 100000).toString().padStart(5, "0");
  }
  return digits;
}

/**
 * The safety number of two parties: 12 groups of 5 digits separated by single spaces, the same
 * whichever party is passed first.
 * @throws RangeError when a key is not 32 bytes.
 */
export function safetyNumber(a: SafetyNumberParty, b: SafetyNumberParty): string {
  const sides = [fingerprintDigits(a), fingerprintDigits(b)].sort();
  return sides.join("").match(/\d{5}/g)!.join(" ");
}
