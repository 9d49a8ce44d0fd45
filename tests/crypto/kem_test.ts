import assert from "node:assert/strict";
import {
  encodeKemPublicKey,
  generateKemKeyPair,
  isValidKemPublicKey,
  KEM_CIPHERTEXT_BYTES,
  KEM_PUBLIC_KEY_BYTES,
  KEM_SEED_BYTES,
  KEM_SHARED_SECRET_BYTES,
  KEM_TYPE_ML_KEM_768,
  kemDecapsulate,
  kemEncapsulate,
  kemKeyPairFromSeed,
} from "../../src/crypto/kem.ts";
import { flipBit } from "./parties.ts";

const pair = kemKeyPairFromSeed(new Uint8Array(KEM_SEED_BYTES).fill(3));

/** A copy of `key` whose coefficient `index` (of the 768 in t) is set to `value`. */
function withCoefficient(key: Uint8Array, index: number, value: number): Uint8Array {
  const copy = new Uint8Array(key);
  const at = (index >> 1) * 3;
  if (index % 2 === 0) {
    copy[at] = value & 0xff;
    copy[at + 1] = (copy[at + 1]! & 0xf0) | (value >> 8);
  } else {
    copy[at + 1] = (copy[at + 1]! & 0x0f) | ((value & 0x0f) << 4);
    copy[at + 2] = value >> 4;
  }
  return copy;
}

Deno.test("ML-KEM-768 sizes, and a round trip agrees on a 32-byte secret", () => {
  const fresh = generateKemKeyPair();
  assert.equal(fresh.seed.length, KEM_SEED_BYTES);
  assert.equal(fresh.publicKey.length, KEM_PUBLIC_KEY_BYTES);
  assert.deepEqual(kemKeyPairFromSeed(fresh.seed).publicKey, fresh.publicKey);
  const { ciphertext, sharedSecret } = kemEncapsulate(fresh.publicKey);
  assert.equal(ciphertext.length, KEM_CIPHERTEXT_BYTES);
  assert.equal(sharedSecret.length, KEM_SHARED_SECRET_BYTES);
  assert.deepEqual(kemDecapsulate(fresh.seed, ciphertext), sharedSecret);
  assert.notDeepEqual(generateKemKeyPair().publicKey, fresh.publicKey);
});

Deno.test("encapsulation is deterministic in its injected randomness, which it zeroes", () => {
  const m1 = new Uint8Array(32).fill(9);
  const first = kemEncapsulate(pair.publicKey, () => m1);
  assert.deepEqual(m1, new Uint8Array(32));
  const second = kemEncapsulate(pair.publicKey, () => new Uint8Array(32).fill(9));
  assert.deepEqual(second, first);
  const other = kemEncapsulate(pair.publicKey, () => new Uint8Array(32).fill(10));
  assert.notDeepEqual(other.sharedSecret, first.sharedSecret);
  assert.throws(() => kemEncapsulate(pair.publicKey, () => new Uint8Array(31)), RangeError);
});

Deno.test("an altered ciphertext decapsulates to another secret (implicit rejection)", () => {
  const { ciphertext, sharedSecret } = kemEncapsulate(pair.publicKey);
  for (const bit of [0, 4000, KEM_CIPHERTEXT_BYTES * 8 - 1]) {
    const secret = kemDecapsulate(pair.seed, flipBit(ciphertext, bit));
    assert.equal(secret.length, KEM_SHARED_SECRET_BYTES);
    assert.notDeepEqual(secret, sharedSecret, `bit ${bit}`);
  }
  const otherSeed = new Uint8Array(KEM_SEED_BYTES).fill(4);
  assert.notDeepEqual(kemDecapsulate(otherSeed, ciphertext), sharedSecret);
});

Deno.test("the FIPS 203 7.2 check: every coefficient of t must be below q", () => {
  assert.equal(isValidKemPublicKey(pair.publicKey), true);
  for (const index of [0, 1, 500, 767]) {
    assert.equal(isValidKemPublicKey(withCoefficient(pair.publicKey, index, 3328)), true);
    for (const value of [3329, 4095]) {
      const bad = withCoefficient(pair.publicKey, index, value);
      assert.equal(isValidKemPublicKey(bad), false, `coefficient ${index} = ${value}`);
      assert.throws(() => kemEncapsulate(bad), /not below q = 3329/);
      assert.throws(() => encodeKemPublicKey(bad), RangeError);
    }
  }
  // rho, the last 32 bytes, is a seed: any value is valid
  const rho = new Uint8Array(pair.publicKey);
  rho.fill(0xff, KEM_PUBLIC_KEY_BYTES - 32);
  assert.equal(isValidKemPublicKey(rho), true);
});

Deno.test("wrong lengths throw RangeError", () => {
  const { ciphertext } = kemEncapsulate(pair.publicKey);
  for (const length of [0, 1183, 1185, 1568]) {
    assert.equal(isValidKemPublicKey(new Uint8Array(length)), false);
    assert.throws(() => kemEncapsulate(new Uint8Array(length)), /must be 1184 bytes/);
  }
  assert.throws(() => kemDecapsulate(pair.seed, ciphertext.subarray(1)), /must be 1088 bytes/);
  assert.throws(() => kemDecapsulate(pair.seed.subarray(1), ciphertext), /must be 64 bytes/);
  assert.throws(() => kemKeyPairFromSeed(new Uint8Array(32)), /must be 64 bytes/);
});

Deno.test("EncodeKEM is the type byte, then the 1184-byte encapsulation key", () => {
  const encoded = encodeKemPublicKey(pair.publicKey);
  assert.equal(encoded.length, 1 + KEM_PUBLIC_KEY_BYTES);
  assert.equal(encoded[0], KEM_TYPE_ML_KEM_768);
  assert.deepEqual(encoded.subarray(1), pair.publicKey);
});
