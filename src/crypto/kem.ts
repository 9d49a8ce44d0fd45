/**
 * ML-KEM-768 (FIPS 203), the pqkem of PQXDH (pqxdh.ts), over @noble/post-quantum, with lengths
 * checked and FIPS 203's input checks done here rather than trusted to the library:
 *
 * - a decapsulation key is kept as its 64-byte seed d ‖ z (FIPS 203 section 3.3 allows storing the
 *   seed instead of the expanded 2400-byte key); decapsulation re-expands it, so the expanded key
 *   never needs its own integrity check (section 7.3);
 * - an encapsulation key must be 1184 bytes whose 12-bit coefficients are all below q = 3329
 *   (the modulus check of section 7.2); {@link kemEncapsulate} refuses any other.
 *
 * Wire layout: an encapsulation key is FIPS 203's 1184-byte ek, a ciphertext the 1088-byte c,
 * both as the standard encodes them; EncodeKEM (PQXDH section 2.5) is KEM_TYPE_ML_KEM_768 ‖ ek.
 */
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { checkLength, concat, randomBytes } from "./primitives.ts";

/** Bytes of an ML-KEM-768 encapsulation (public) key. */
export const KEM_PUBLIC_KEY_BYTES = 1184;
/** Bytes of an ML-KEM-768 ciphertext. */
export const KEM_CIPHERTEXT_BYTES = 1088;
/** Bytes of the seed d ‖ z a decapsulation key is kept as. */
export const KEM_SEED_BYTES = 64;
/** Bytes of an ML-KEM shared secret. */
export const KEM_SHARED_SECRET_BYTES = 32;
/** Bytes of the randomness m of one encapsulation. */
export const KEM_MESSAGE_BYTES = 32;
/** The single-byte representation of the pqkem ML-KEM-768 that starts EncodeKEM. */
export const KEM_TYPE_ML_KEM_768 = 0x01;

const Q = 3329;
/** Bytes of the encoded vector t in ek (k = 3 polynomials of 256 12-bit coefficients). */
const T_BYTES = 3 * 384;

/** An ML-KEM-768 key pair: the 64-byte seed (the private key) and the encapsulation key. */
export interface KemKeyPair {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Where fresh KEM key pairs come from; tests inject deterministic ones. */
export type KemKeyPairSource = () => KemKeyPair;

/** Where an encapsulation's 32 random bytes m come from; tests inject fixed ones. */
export type KemRandomness = () => Uint8Array;

/** One encapsulation's output. */
export interface KemEncapsulation {
  /** c, sent to the key's owner. */
  readonly ciphertext: Uint8Array;
  /** K; the caller zeroes it once it has been fed to a KDF. */
  readonly sharedSecret: Uint8Array;
}

/**
 * The key pair of a 64-byte seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal).
 * @throws RangeError when the seed is not 64 bytes.
 */
export function kemKeyPairFromSeed(seed: Uint8Array): KemKeyPair {
  checkLength("an ML-KEM seed", seed, KEM_SEED_BYTES);
  const { publicKey, secretKey } = ml_kem768.keygen(seed);
  secretKey.fill(0);
  return { seed: new Uint8Array(seed), publicKey };
}

/** A fresh ML-KEM-768 key pair from the system CSPRNG. The default {@link KemKeyPairSource}. */
export function generateKemKeyPair(): KemKeyPair {
  const seed = randomBytes(KEM_SEED_BYTES);
  const pair = kemKeyPairFromSeed(seed);
  seed.fill(0);
  return pair;
}

/**
 * Whether `publicKey` is a valid ML-KEM-768 encapsulation key: 1184 bytes, and every coefficient
 * of t decodes below q (FIPS 203 section 7.2, ByteEncode12(ByteDecode12(ek)) = ek).
 */
export function isValidKemPublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEM_PUBLIC_KEY_BYTES) {
    return false;
  }
  for (let i = 0; i < T_BYTES; i += 3) {
    const [b0, b1, b2] = [publicKey[i]!, publicKey[i + 1]!, publicKey[i + 2]!];
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

/**
 * EncodeKEM of PQXDH: the pqkem's type byte, then the key as FIPS 203 encodes it; what an
 * identity key signs for a KEM prekey (prekeys.ts).
 * @throws RangeError when the key is not a valid encapsulation key.
 */
export function encodeKemPublicKey(publicKey: Uint8Array): Uint8Array {
  requireValidPublicKey(publicKey);
  return concat(Uint8Array.of(KEM_TYPE_ML_KEM_768), publicKey);
}

function requireValidPublicKey(publicKey: Uint8Array): void {
  checkLength("an ML-KEM-768 encapsulation key", publicKey, KEM_PUBLIC_KEY_BYTES);
  if (!isValidKemPublicKey(publicKey)) {
    throw new RangeError(
      "an ML-KEM-768 encapsulation key has a coefficient not below q = 3329 (FIPS 203 7.2)",
    );
  }
}

/**
 * Encapsulates a fresh shared secret to `publicKey` (ML-KEM.Encaps). `random` gives the 32 bytes
 * m (tests inject them); m is zeroed after use.
 * @throws RangeError when the key fails the FIPS 203 section 7.2 checks (length, modulus) or
 * `random` does not give 32 bytes.
 */
export function kemEncapsulate(
  publicKey: Uint8Array,
  random: KemRandomness = () => randomBytes(KEM_MESSAGE_BYTES),
): KemEncapsulation {
  requireValidPublicKey(publicKey);
  const m = random();
  checkLength("the ML-KEM encapsulation randomness", m, KEM_MESSAGE_BYTES);
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, m);
  m.fill(0);
  return { ciphertext: cipherText, sharedSecret };
}

/**
 * Decapsulates `ciphertext` with the key pair of `seed` (ML-KEM.Decaps). A well-formed but altered
 * ciphertext gives a pseudorandom secret (implicit rejection), not an error: the KDF and the first
 * message's AEAD then fail.
 * @throws RangeError when the seed is not 64 bytes or the ciphertext not 1088.
 */
export function kemDecapsulate(seed: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkLength("an ML-KEM seed", seed, KEM_SEED_BYTES);
  checkLength("an ML-KEM-768 ciphertext", ciphertext, KEM_CIPHERTEXT_BYTES);
  const { secretKey } = ml_kem768.keygen(seed);
  try {
    return ml_kem768.decapsulate(ciphertext, secretKey);
  } finally {
    secretKey.fill(0);
  }
}
