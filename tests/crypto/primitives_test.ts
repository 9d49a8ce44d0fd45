import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import {
  concat,
  ed25519Verify,
  generateX25519KeyPair,
  hkdfSha256,
  hmacSha256,
  MAX_CACHED_VERIFY_KEYS,
  signerFromPrivateKey,
  x25519,
} from "../../src/crypto/primitives.ts";
import { flipBit, text, X25519_BASE_POINT, x25519PairOf } from "./parties.ts";

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}

Deno.test("x25519: both sides of a key agreement get the same 32 bytes", async () => {
  const a = await generateX25519KeyPair();
  const b = await generateX25519KeyPair();
  assert.equal(a.privateKey.length, 32);
  assert.equal(a.publicKey.length, 32);
  const ab = await x25519(a.privateKey, b.publicKey);
  assert.equal(ab.length, 32);
  assert.deepEqual(ab, await x25519(b.privateKey, a.publicKey));
});

Deno.test("x25519 of a private key and the base point is its public key (RFC 7748 section 6.1)", async () => {
  const alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const pair = await x25519PairOf(alice);
  assert.deepEqual(
    pair.publicKey,
    hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
  );
  const bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  assert.deepEqual(
    await x25519(alice, bobPublic),
    hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
  );
});

Deno.test("x25519 rejects a low-order point with a RangeError and bad lengths", async () => {
  const a = await generateX25519KeyPair();
  await assert.rejects(x25519(a.privateKey, new Uint8Array(32)), RangeError);
  await assert.rejects(x25519(a.privateKey, Uint8Array.of(1, ...new Uint8Array(31))), /low-order/);
  await assert.rejects(x25519(a.privateKey, new Uint8Array(31)), /32 bytes, got 31/);
  await assert.rejects(x25519(new Uint8Array(33), a.publicKey), RangeError);
  await assert.rejects(x25519(new Uint8Array(16), X25519_BASE_POINT), RangeError);
});

Deno.test("hmacSha256 matches RFC 4231 test case 2", () => {
  assert.deepEqual(
    hmacSha256(text("Jefe"), text("what do ya want for nothing?")),
    hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
  );
});

Deno.test("hkdfSha256 matches RFC 5869 test case 1 and bounds its length", () => {
  const okm = hkdfSha256(
    hex("0b".repeat(22)),
    hex("000102030405060708090a0b0c"),
    hex("f0f1f2f3f4f5f6f7f8f9"),
    42,
  );
  assert.deepEqual(
    okm,
    hex(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    ),
  );
  assert.equal(hkdfSha256(okm, new Uint8Array(0), new Uint8Array(0), 8160).length, 8160);
  for (const n of [8161, -1, 1.5, Number.NaN]) {
    assert.throws(() => hkdfSha256(okm, new Uint8Array(0), new Uint8Array(0), n), RangeError);
  }
});

Deno.test("ed25519Verify checks a libp2p key's signature through the Signer adapter", async () => {
  const signer = signerFromPrivateKey(await generateKeyPair("Ed25519"));
  const data = text("signed bytes");
  const signature = await signer.sign(data);
  assert.equal(signature.length, 64);
  assert.equal(await ed25519Verify(signer.publicKey, data, signature), true);
  assert.equal(await ed25519Verify(signer.publicKey, flipBit(data, 0), signature), false);
  assert.equal(await ed25519Verify(signer.publicKey, data, flipBit(signature, 7)), false);
  assert.equal(await ed25519Verify(signer.publicKey, data, signature.subarray(0, 63)), false);
  assert.equal(
    await ed25519Verify(signer.publicKey, data, concat(signature, Uint8Array.of(0))),
    false,
  );
  await assert.rejects(ed25519Verify(new Uint8Array(31), data, signature), RangeError);
});

Deno.test("signerFromPrivateKey refuses a key that is not Ed25519", async () => {
  const key = await generateKeyPair("secp256k1");
  assert.throws(() => signerFromPrivateKey(key), RangeError);
});

Deno.test("the node:crypto signer makes libp2p's own signatures (deterministic RFC 8032)", async () => {
  const key = await generateKeyPair("Ed25519");
  const signer = signerFromPrivateKey(key);
  assert.deepEqual(signer.publicKey, key.publicKey.raw);
  for (const data of [new Uint8Array(0), text("signed bytes"), new Uint8Array(5000).fill(7)]) {
    assert.deepEqual(await signer.sign(data), new Uint8Array(await key.sign(data)));
  }
});

Deno.test("signerFromPrivateKey refuses a seed that does not give the key's public key", async () => {
  const key = await generateKeyPair("Ed25519");
  const other = await generateKeyPair("Ed25519");
  const raw = concat(other.raw.subarray(0, 32), key.publicKey.raw);
  assert.throws(() => signerFromPrivateKey({ raw, publicKey: key.publicKey }), RangeError);
});

Deno.test("ed25519Verify stays right for more signers than it keeps keys imported for", async () => {
  const signers = await Promise.all(
    Array.from(
      { length: MAX_CACHED_VERIFY_KEYS + 8 },
      async () => signerFromPrivateKey(await generateKeyPair("Ed25519")),
    ),
  );
  const data = text("many signers");
  const signatures = await Promise.all(signers.map((s) => s.sign(data)));
  // Twice round, so that the first keys were dropped from the cache and are imported again.
  for (let round = 0; round < 2; round++) {
    for (const [i, signer] of signers.entries()) {
      assert.equal(await ed25519Verify(signer.publicKey, data, signatures[i]!), true);
      const next = signatures[(i + 1) % signatures.length]!;
      assert.equal(await ed25519Verify(signer.publicKey, data, next), false);
    }
  }
});
