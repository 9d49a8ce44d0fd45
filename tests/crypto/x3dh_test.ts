import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { PrekeyKind, signPrekey } from "../../src/crypto/prekeys.ts";
import {
  ASSOCIATED_DATA_BYTES,
  associatedData,
  initiate,
  respond,
  X3dhError,
} from "../../src/crypto/x3dh.ts";
import { countingKeyPairs, flipBit, makeParty, text } from "./parties.ts";

const alice = await makeParty();
const bob = await makeParty();

function messageOf(init: Awaited<ReturnType<typeof initiate>>) {
  const base = {
    identityKey: alice.identityKey,
    identityDhKey: init.identityDhKey,
    ephemeralKey: init.ephemeralPublic,
  };
  return init.oneTimePrekeyId === undefined
    ? base
    : { ...base, oneTimePrekeyId: init.oneTimePrekeyId };
}

Deno.test("X3DH with a one-time prekey: both sides agree on SK and AD", async () => {
  const init = await initiate(alice, bob.bundle);
  assert.equal(init.sharedKey.length, 32);
  assert.equal(init.signedPrekeyId, 7);
  assert.equal(init.oneTimePrekeyId, 42);
  assert.deepEqual(init.signedPrekeyPublic, bob.signedPrekey.publicKey);
  const secret = await respond(bob, messageOf(init));
  assert.deepEqual(secret.sharedKey, init.sharedKey);
  assert.deepEqual(secret.associatedData, init.associatedData);
});

Deno.test("X3DH without a one-time prekey: both sides agree, and SK differs from DH4's", async () => {
  const keys = countingKeyPairs(9);
  const init = await initiate(alice, bob.bundleWithoutOneTime, keys);
  assert.equal(init.oneTimePrekeyId, undefined);
  assert.equal("oneTimePrekeyId" in init, false);
  const { oneTimePrekey: _, ...bobWithout } = bob;
  const secret = await respond(bobWithout, messageOf(init));
  assert.deepEqual(secret.sharedKey, init.sharedKey);
  const withOneTime = await initiate(alice, bob.bundle, countingKeyPairs(9));
  assert.deepEqual(withOneTime.ephemeralPublic, init.ephemeralPublic);
  assert.notDeepEqual(withOneTime.sharedKey, init.sharedKey);
});

Deno.test("AD is prefix ‖ initiator Ed25519 ‖ X25519 ‖ responder Ed25519 ‖ X25519", async () => {
  const init = await initiate(alice, bob.bundle);
  const ad = init.associatedData;
  const prefix = text("tincan-ad-v1");
  assert.equal(ad.length, ASSOCIATED_DATA_BYTES);
  assert.deepEqual(ad.subarray(0, prefix.length), prefix);
  let at = prefix.length;
  for (const key of [alice.identityKey, alice.identityDh.publicKey, bob.identityKey]) {
    assert.deepEqual(ad.subarray(at, at + 32), key);
    at += 32;
  }
  assert.deepEqual(ad.subarray(at), bob.identityDh.publicKey);
  assert.throws(
    () => associatedData(new Uint8Array(31), ad, ad, ad),
    RangeError,
  );
});

Deno.test("initiate rejects a signed prekey whose signature does not verify", async () => {
  const bad = { ...bob.signedPrekey, id: 7, publicKey: bob.bundle.signedPrekey.publicKey };
  for (
    const signedPrekey of [
      { ...bob.bundle.signedPrekey, signature: flipBit(bob.bundle.signedPrekey.signature, 5) },
      { ...bob.bundle.signedPrekey, publicKey: flipBit(bad.publicKey, 9) },
      { ...bob.bundle.signedPrekey, id: 8 },
      { ...bob.bundle.signedPrekey, signature: new Uint8Array(0) },
    ]
  ) {
    await assert.rejects(
      initiate(alice, { ...bob.bundle, signedPrekey }),
      (err: unknown) => err instanceof X3dhError && /signed prekey/.test(err.message),
    );
  }
});

Deno.test("initiate rejects a bundle signed by another identity", async () => {
  await assert.rejects(
    initiate(alice, { ...bob.bundle, identityKey: alice.identityKey }),
    X3dhError,
  );
});

Deno.test("kind confusion: an identity-DH or one-time signature is no signed prekey", async () => {
  const idAsSigned = await signPrekey(
    PrekeyKind.IdentityDh,
    7,
    bob.signedPrekey.publicKey,
    bob.key,
  );
  await assert.rejects(
    initiate(alice, { ...bob.bundle, signedPrekey: idAsSigned }),
    /signed prekey/,
  );
  const oneTimeAsSigned = await signPrekey(
    PrekeyKind.OneTime,
    7,
    bob.signedPrekey.publicKey,
    bob.key,
  );
  await assert.rejects(
    initiate(alice, { ...bob.bundle, signedPrekey: oneTimeAsSigned }),
    X3dhError,
  );
  await assert.rejects(
    initiate(alice, { ...bob.bundle, identityDhKey: bob.bundle.signedPrekey }),
    /identity-DH key/,
  );
  await assert.rejects(
    initiate(alice, { ...bob.bundle, oneTimePrekey: bob.bundle.signedPrekey }),
    /one-time prekey/,
  );
});

Deno.test("respond refuses a message naming a one-time prekey it does not have", async () => {
  const init = await initiate(alice, bob.bundle);
  const { oneTimePrekey: _, ...bobWithout } = bob;
  await assert.rejects(respond(bobWithout, messageOf(init)), /one-time prekey 42/);
  const plain = await initiate(alice, bob.bundleWithoutOneTime);
  await assert.rejects(respond(bob, messageOf(plain)), X3dhError);
});

Deno.test("respond with the wrong keys derives a different SK", async () => {
  const init = await initiate(alice, bob.bundle);
  const other = await makeParty();
  const secret = await respond({ ...bob, signedPrekey: other.signedPrekey }, messageOf(init));
  assert.notDeepEqual(secret.sharedKey, init.sharedKey);
});

Deno.test("X3DH refuses low-order points and malformed keys", async () => {
  const init = await initiate(alice, bob.bundle);
  await assert.rejects(
    respond(bob, { ...messageOf(init), ephemeralKey: new Uint8Array(32) }),
    RangeError,
  );
  await assert.rejects(
    respond(bob, { ...messageOf(init), identityDhKey: new Uint8Array(31) }),
    RangeError,
  );
  const key = await generateKeyPair("Ed25519");
  const zero = await signPrekey(PrekeyKind.Signed, 7, new Uint8Array(32), key);
  const identityDhKey = await signPrekey(PrekeyKind.IdentityDh, 0, bob.identityDh.publicKey, key);
  await assert.rejects(
    initiate(alice, { identityKey: key.publicKey.raw, identityDhKey, signedPrekey: zero }),
    RangeError,
  );
});
