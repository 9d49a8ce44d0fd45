import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import {
  ED25519_SIGNATURE_BYTES,
  isKemKind,
  PrekeyKind,
  prekeySignedBytes,
  signPrekey,
  verifyPrekey,
  X25519_KEY_BYTES,
} from "../../src/crypto/prekeys.ts";
import {
  isValidKemPublicKey,
  KEM_PUBLIC_KEY_BYTES,
  KEM_TYPE_ML_KEM_768,
  kemKeyPairFromSeed,
} from "../../src/crypto/kem.ts";
import { concat } from "../../src/crypto/primitives.ts";
import type { SignedKey } from "../../src/proto/services.ts";

const identity = await generateKeyPair("Ed25519");
const identityKey = identity.publicKey.raw;
const other = await generateKeyPair("Ed25519");

function x25519Key(fill: number): Uint8Array {
  return new Uint8Array(X25519_KEY_BYTES).fill(fill);
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes); // not slice(): a Buffer's slice is a view
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

Deno.test("prekeySignedBytes lays out domain ‖ 0x00 ‖ kind ‖ id (BE) ‖ key", () => {
  const key = x25519Key(0xab);
  const bytes = prekeySignedBytes(PrekeyKind.OneTime, 0x01020304, key);
  const domain = new TextEncoder().encode("tincan-prekey-v1");
  assert.equal(bytes.length, domain.length + 1 + 1 + 4 + 32);
  assert.deepEqual(bytes.subarray(0, domain.length), domain);
  assert.equal(bytes[domain.length], 0);
  assert.equal(bytes[domain.length + 1], 2);
  assert.deepEqual(
    bytes.subarray(domain.length + 2, domain.length + 6),
    new Uint8Array([1, 2, 3, 4]),
  );
  assert.deepEqual(bytes.subarray(domain.length + 6), key);
});

Deno.test("prekeySignedBytes refuses a key that is not 32 bytes and an id out of range", () => {
  assert.throws(() => prekeySignedBytes(PrekeyKind.Signed, 1, new Uint8Array(31)), RangeError);
  assert.throws(
    () => prekeySignedBytes(PrekeyKind.Signed, 1, new Uint8Array(33)),
    /32 bytes, got 33/,
  );
  for (const id of [-1, 0x1_0000_0000, 1.5, Number.NaN, Infinity]) {
    assert.throws(
      () => prekeySignedBytes(PrekeyKind.Signed, id, x25519Key(1)),
      RangeError,
      `${id}`,
    );
  }
  assert.equal(prekeySignedBytes(PrekeyKind.Signed, 0, x25519Key(1)).length, 54);
  assert.equal(prekeySignedBytes(PrekeyKind.Signed, 0xffffffff, x25519Key(1)).length, 54);
});

Deno.test("a signed prekey verifies with the identity key for each kind", async () => {
  for (const kind of [PrekeyKind.IdentityDh, PrekeyKind.Signed, PrekeyKind.OneTime]) {
    const signed = await signPrekey(kind, 42, x25519Key(kind + 1), identity);
    assert.equal(signed.id, 42);
    assert.deepEqual(signed.publicKey, x25519Key(kind + 1));
    assert.equal(signed.signature.length, ED25519_SIGNATURE_BYTES);
    assert.equal(await verifyPrekey(kind, signed, identityKey), true);
  }
});

Deno.test("signPrekey refuses a malformed key before signing", async () => {
  await assert.rejects(signPrekey(PrekeyKind.OneTime, 1, new Uint8Array(16), identity), RangeError);
});

Deno.test("a prekey signed for one kind does not verify as another", async () => {
  const kinds = [PrekeyKind.IdentityDh, PrekeyKind.Signed, PrekeyKind.OneTime];
  for (const signedAs of kinds) {
    const signed = await signPrekey(signedAs, 7, x25519Key(9), identity);
    for (const checkedAs of kinds) {
      assert.equal(await verifyPrekey(checkedAs, signed, identityKey), signedAs === checkedAs);
    }
  }
});

Deno.test("a prekey presented under another id does not verify", async () => {
  const signed = await signPrekey(PrekeyKind.OneTime, 7, x25519Key(9), identity);
  assert.equal(await verifyPrekey(PrekeyKind.OneTime, { ...signed, id: 8 }, identityKey), false);
  assert.equal(await verifyPrekey(PrekeyKind.OneTime, { ...signed, id: 0 }, identityKey), false);
  // an id that is not a uint32 is refused, not thrown
  assert.equal(await verifyPrekey(PrekeyKind.OneTime, { ...signed, id: -1 }, identityKey), false);
});

Deno.test("a prekey signed by another identity does not verify", async () => {
  const signed = await signPrekey(PrekeyKind.Signed, 1, x25519Key(3), other);
  assert.equal(await verifyPrekey(PrekeyKind.Signed, signed, identityKey), false);
  assert.equal(await verifyPrekey(PrekeyKind.Signed, signed, other.publicKey.raw), true);
});

Deno.test("wrong lengths of key, signature or identity key are refused", async () => {
  const signed = await signPrekey(PrekeyKind.Signed, 1, x25519Key(3), identity);
  const cases: Array<[SignedKey, Uint8Array]> = [
    [{ ...signed, publicKey: signed.publicKey.subarray(0, 31) }, identityKey],
    [{ ...signed, publicKey: new Uint8Array([...signed.publicKey, 0]) }, identityKey],
    [{ ...signed, publicKey: new Uint8Array(0) }, identityKey],
    [{ ...signed, signature: signed.signature.subarray(0, 63) }, identityKey],
    [{ ...signed, signature: new Uint8Array([...signed.signature, 0]) }, identityKey],
    [{ ...signed, signature: new Uint8Array(0) }, identityKey],
    [signed, identityKey.subarray(0, 31)],
    [signed, new Uint8Array([...identityKey, 0])],
    [signed, new Uint8Array(0)],
  ];
  for (const [key, identityBytes] of cases) {
    assert.equal(await verifyPrekey(PrekeyKind.Signed, key, identityBytes), false);
  }
});

Deno.test("an all-zero or invalid identity key is refused without throwing", async () => {
  const signed = await signPrekey(PrekeyKind.Signed, 1, x25519Key(3), identity);
  assert.equal(await verifyPrekey(PrekeyKind.Signed, signed, new Uint8Array(32)), false);
  assert.equal(await verifyPrekey(PrekeyKind.Signed, signed, new Uint8Array(32).fill(0xff)), false);
});

Deno.test("a bit flip in the key or the signature is refused", async () => {
  const signed = await signPrekey(PrekeyKind.OneTime, 5, x25519Key(0x5a), identity);
  for (let bit = 0; bit < 32 * 8; bit += 7) {
    const tampered = { ...signed, publicKey: flipBit(signed.publicKey, bit) };
    assert.equal(
      await verifyPrekey(PrekeyKind.OneTime, tampered, identityKey),
      false,
      `key ${bit}`,
    );
  }
  for (let bit = 0; bit < 64 * 8; bit += 7) {
    const tampered = { ...signed, signature: flipBit(signed.signature, bit) };
    assert.equal(
      await verifyPrekey(PrekeyKind.OneTime, tampered, identityKey),
      false,
      `sig ${bit}`,
    );
  }
  for (let bit = 0; bit < 32; bit++) {
    const tampered = { ...signed, id: signed.id ^ (1 << bit) >>> 0 };
    assert.equal(await verifyPrekey(PrekeyKind.OneTime, tampered, identityKey), false, `id ${bit}`);
  }
  // the untampered key still verifies (the copies above did not alter it)
  assert.equal(await verifyPrekey(PrekeyKind.OneTime, signed, identityKey), true);
});

const kemKey = kemKeyPairFromSeed(new Uint8Array(64).fill(7)).publicKey;
/** A 1184-byte key whose first coefficient is q = 3329: it fails the FIPS 203 modulus check. */
const unreducedKemKey = Uint8Array.from(
  kemKey,
  (b, i) => i === 0 ? 0x01 : i === 1 ? (b & 0xf0) | 0x0d : b,
);

Deno.test("a KEM prekey signs domain ‖ 0x00 ‖ kind ‖ id ‖ EncodeKEM (type byte ‖ ek)", () => {
  const domain = new TextEncoder().encode("tincan-prekey-v1");
  for (const kind of [PrekeyKind.KemLastResort, PrekeyKind.KemOneTime]) {
    const bytes = prekeySignedBytes(kind, 0x0a0b0c0d, kemKey);
    assert.equal(bytes.length, domain.length + 1 + 1 + 4 + 1 + KEM_PUBLIC_KEY_BYTES);
    assert.deepEqual(bytes.subarray(0, domain.length), domain);
    assert.equal(bytes[domain.length], 0);
    assert.equal(bytes[domain.length + 1], kind);
    assert.deepEqual(
      bytes.subarray(domain.length + 2, domain.length + 6),
      Uint8Array.of(10, 11, 12, 13),
    );
    assert.equal(bytes[domain.length + 6], KEM_TYPE_ML_KEM_768);
    assert.deepEqual(bytes.subarray(domain.length + 7), kemKey);
  }
  assert.equal(isKemKind(PrekeyKind.KemOneTime), true);
  assert.equal(isKemKind(PrekeyKind.OneTime), false);
});

Deno.test("KEM prekeys verify as their own kind only, and X25519 kinds refuse KEM keys", async () => {
  const all = [
    PrekeyKind.IdentityDh,
    PrekeyKind.Signed,
    PrekeyKind.OneTime,
    PrekeyKind.KemLastResort,
    PrekeyKind.KemOneTime,
  ];
  for (const signedAs of [PrekeyKind.KemLastResort, PrekeyKind.KemOneTime]) {
    const signed = await signPrekey(signedAs, 3, kemKey, identity);
    for (const checkedAs of all) {
      assert.equal(await verifyPrekey(checkedAs, signed, identityKey), signedAs === checkedAs);
    }
    assert.equal(await verifyPrekey(signedAs, { ...signed, id: 4 }, identityKey), false);
    assert.equal(await verifyPrekey(signedAs, signed, other.publicKey.raw), false);
    const flipped = { ...signed, publicKey: flipBit(signed.publicKey, 8 * 1000 + 3) };
    assert.equal(await verifyPrekey(signedAs, flipped, identityKey), false);
    const short = { ...signed, publicKey: signed.publicKey.subarray(0, 1183) };
    assert.equal(await verifyPrekey(signedAs, short, identityKey), false);
  }
  const x25519Signed = await signPrekey(PrekeyKind.OneTime, 3, x25519Key(1), identity);
  assert.equal(await verifyPrekey(PrekeyKind.KemOneTime, x25519Signed, identityKey), false);
  assert.throws(() => prekeySignedBytes(PrekeyKind.OneTime, 1, kemKey), /32 bytes, got 1184/);
  assert.throws(() => prekeySignedBytes(PrekeyKind.KemOneTime, 1, x25519Key(1)), RangeError);
});

Deno.test("a KEM key failing the FIPS 203 modulus check is neither signed nor verified", async () => {
  assert.equal(isValidKemPublicKey(unreducedKemKey), false);
  await assert.rejects(
    signPrekey(PrekeyKind.KemOneTime, 1, unreducedKemKey, identity),
    /not below q = 3329/,
  );
  // Signed by hand over the same layout: still refused, before the signature is looked at.
  const domain = new TextEncoder().encode("tincan-prekey-v1");
  const bytes = concat(
    domain,
    Uint8Array.of(0, PrekeyKind.KemOneTime, 0, 0, 0, 1, 1),
    unreducedKemKey,
  );
  const signature = await identity.sign(bytes);
  const handSigned = { id: 1, publicKey: unreducedKemKey, signature };
  assert.equal(await verifyPrekey(PrekeyKind.KemOneTime, handSigned, identityKey), false);
});
