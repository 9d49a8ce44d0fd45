/**
 * The fingerprint of one identity key, for people to read aloud: SHA-256 of the raw Ed25519 key,
 * the first 16 bytes as 8 groups of 4 hex digits. (The safety number of a pair is in
 * safety_number.ts.)
 */

/**
 * Returns e.g. "3f2a 91bc 0d4e 77a1 5b60 c2e9 18fd 4a03".
 * @throws RangeError when the key is not 32 bytes.
 */
export async function fingerprint(identityKey: Uint8Array): Promise<string> {
  if (identityKey.length !== 32) {
    throw new RangeError(`an Ed25519 identity key is 32 bytes, got ${identityKey.length}`);
  }
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", identityKey as Uint8Array<ArrayBuffer>),
  );
  const hex = [...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return hex.match(/.{4}/g)!.join(" ");
}
