/**
 * PQXDH between two in-memory parties that pass only bytes: Alice fetches Bob's bundle, seals her
 * first message (envelope.ts, with the PQXDH header), and Bob opens it, runs the responder side
 * with the prekeys it names, decrypts, and only then deletes the one-time prekeys it used.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { newMessageId, openEnvelope, sealEnvelope } from "../../src/crypto/envelope.ts";
import { type KemKeyPair, kemKeyPairFromSeed } from "../../src/crypto/kem.ts";
import {
  initiate,
  PQXDH_KDF_INFO,
  type PqxdhBundle,
  type PqxdhInitiation,
  respond,
} from "../../src/crypto/pqxdh.ts";
import { PrekeyKind, signPrekey } from "../../src/crypto/prekeys.ts";
import { fromHex } from "../../src/crypto/bytes.ts";
import { type KeyPairSource, type X25519KeyPair } from "../../src/crypto/primitives.ts";
import {
  ratchetDecrypt,
  ratchetEncrypt,
  RatchetError,
  ratchetInitAlice,
  ratchetInitBob,
} from "../../src/crypto/ratchet.ts";
import * as x3dh from "../../src/crypto/x3dh.ts";
import { X3dhError } from "../../src/crypto/x3dh.ts";
import {
  countingKeyPairs,
  flipBit,
  makeParty,
  makePqParty,
  text,
  untext,
  x25519PairOf,
} from "./parties.ts";

const alice = await makeParty();
const bob = await makePqParty();

/** Alice's first message to Bob: the initiation, and the sealed envelope bytes she sends. */
async function firstMessage(
  bundle: PqxdhBundle,
  words: string,
  alter: (init: PqxdhInitiation) => PqxdhInitiation = (init) => init,
): Promise<{ init: PqxdhInitiation; bytes: Uint8Array }> {
  const init = await initiate(alice, bundle);
  const state = await ratchetInitAlice(
    init.sharedKey,
    init.signedPrekeyPublic,
    init.associatedData,
  );
  const { message } = await ratchetEncrypt(state, text(words));
  const sent = alter(init);
  const bytes = await sealEnvelope(alice.signer, {
    sender: alice.identityKey,
    recipient: bob.identityKey,
    messageId: newMessageId(),
    timestamp: 1_000,
    prekey: {
      identityDhKey: sent.identityDhKey,
      ephemeralKey: sent.ephemeralPublic,
      signedPrekeyId: sent.signedPrekeyId,
      ...(sent.oneTimePrekeyId === undefined ? {} : { oneTimePrekeyId: sent.oneTimePrekeyId }),
      ...(sent.protocol === "pqxdh" ? { pqxdh: sent.pqxdh } : {}),
    },
    ratchetHeader: message.header,
    ciphertext: message.ciphertext,
  });
  return { init, bytes };
}

/** Bob's device: his private prekeys by id; one-time ones go once a first message decrypts. */
class Responder {
  readonly ecOneTime = new Map<number, X25519KeyPair>([[42, bob.oneTimePrekey]]);
  readonly kemOneTime = new Map<number, KemKeyPair>([[77, bob.kemOneTime]]);
  readonly kemLastResort = new Map<number, KemKeyPair>([[5, bob.kemLastResort]]);

  /** The ids it still holds, to compare before and after. */
  held(): number[][] {
    return [this.ecOneTime, this.kemOneTime, this.kemLastResort].map((m) => [...m.keys()]);
  }

  /** Opens a first message; returns its plaintext, the SK and the protocol. */
  async receive(bytes: Uint8Array) {
    const envelope = await openEnvelope(bytes, undefined, bob.identityKey);
    const prekey = envelope.prekey!;
    const { oneTimePrekeyId, pqxdh } = prekey;
    const oneTimePrekey = oneTimePrekeyId === undefined
      ? undefined
      : this.ecOneTime.get(oneTimePrekeyId);
    const kemPrekey = pqxdh &&
      (pqxdh.kemPrekeyOneTime ? this.kemOneTime : this.kemLastResort).get(pqxdh.kemPrekeyId);
    const secret = await respond(
      {
        identityKey: bob.identityKey,
        identityDh: bob.identityDh,
        signedPrekey: bob.signedPrekey,
        ...(oneTimePrekey ? { oneTimePrekey } : {}),
        ...(kemPrekey ? { kemPrekey } : {}),
      },
      {
        identityKey: envelope.sender,
        identityDhKey: prekey.identityDhKey,
        ephemeralKey: prekey.ephemeralKey,
        ...(oneTimePrekeyId === undefined ? {} : { oneTimePrekeyId }),
        ...(pqxdh ? { pqxdh } : {}),
      },
    );
    const state = ratchetInitBob(secret.sharedKey, bob.signedPrekey, secret.associatedData);
    const { plaintext } = await ratchetDecrypt(
      state,
      { header: envelope.ratchetHeader, ciphertext: envelope.ciphertext },
      { now: 2_000 },
    );
    if (oneTimePrekeyId !== undefined) this.ecOneTime.delete(oneTimePrekeyId);
    if (pqxdh?.kemPrekeyOneTime) this.kemOneTime.delete(pqxdh.kemPrekeyId);
    return { words: untext(plaintext), secret };
  }
}

Deno.test("PQXDH with and without each one-time prekey: both sides agree and decrypt", async () => {
  for (const oneTimeEc of [true, false]) {
    for (const oneTimeKem of [true, false]) {
      const label = `EC one-time ${oneTimeEc}, KEM one-time ${oneTimeKem}`;
      const bobDevice = new Responder();
      const { init, bytes } = await firstMessage(bob.pqBundle({ oneTimeEc, oneTimeKem }), label);
      assert.equal(init.protocol, "pqxdh", label);
      if (init.protocol !== "pqxdh") continue;
      assert.equal(init.pqxdh.kemPrekeyId, oneTimeKem ? 77 : 5, label);
      assert.equal(init.pqxdh.kemPrekeyOneTime, oneTimeKem, label);
      assert.equal(init.pqxdh.kemCiphertext.length, 1088, label);
      assert.equal(init.oneTimePrekeyId, oneTimeEc ? 42 : undefined, label);
      const { words, secret } = await bobDevice.receive(bytes);
      assert.equal(words, label);
      assert.equal(secret.protocol, "pqxdh");
      assert.deepEqual(secret.sharedKey, init.sharedKey, label);
      assert.deepEqual(secret.associatedData, init.associatedData, label);
      assert.deepEqual(bobDevice.held(), [oneTimeEc ? [] : [42], oneTimeKem ? [] : [77], [5]]);
    }
  }
});

Deno.test("a bundle without KEM prekeys (an older version) gets classic X3DH", async () => {
  const keys = countingKeyPairs(9);
  const init = await initiate(alice, bob.bundle, { generateKeyPair: keys });
  assert.equal(init.protocol, "x3dh");
  assert.equal("pqxdh" in init, false);
  const classic = await x3dh.initiate(alice, bob.bundle, countingKeyPairs(9));
  assert.deepEqual(init.sharedKey, classic.sharedKey);
  // The older responder answers it with plain X3DH; the new one does the same.
  const message = {
    identityKey: alice.identityKey,
    identityDhKey: init.identityDhKey,
    ephemeralKey: init.ephemeralPublic,
    oneTimePrekeyId: 42,
  };
  const old = await x3dh.respond(bob, message);
  assert.deepEqual(old.sharedKey, init.sharedKey);
  const secret = await respond(bob, message);
  assert.equal(secret.protocol, "x3dh");
  assert.deepEqual(secret.sharedKey, init.sharedKey);
  const { words } = await new Responder().receive((await firstMessage(bob.bundle, "old")).bytes);
  assert.equal(words, "old");
});

Deno.test("PQXDH's SK differs from X3DH's for the same keys and ephemeral", async () => {
  const pq = await initiate(alice, bob.pqBundle({ oneTimeEc: true, oneTimeKem: true }), {
    generateKeyPair: countingKeyPairs(3),
  });
  const classic = await initiate(alice, bob.bundle, { generateKeyPair: countingKeyPairs(3) });
  assert.deepEqual(pq.ephemeralPublic, classic.ephemeralPublic);
  assert.deepEqual(pq.associatedData, classic.associatedData);
  assert.notDeepEqual(pq.sharedKey, classic.sharedKey);
});

Deno.test("a KEM prekey whose signature does not verify is refused", async () => {
  const good = bob.pqBundle({ oneTimeEc: true, oneTimeKem: true });
  const oneTime = good.kemOneTimePrekey!;
  const lastResort = good.kemLastResortPrekey!;
  const unreduced = new Uint8Array(oneTime.publicKey);
  unreduced[0] = 0xff;
  unreduced[1]! |= 0x0f;
  const cases: Array<[string, PqxdhBundle]> = [
    ["flipped signature", {
      ...good,
      kemOneTimePrekey: { ...oneTime, signature: flipBit(oneTime.signature, 9) },
    }],
    ["flipped key", {
      ...good,
      kemOneTimePrekey: { ...oneTime, publicKey: flipBit(oneTime.publicKey, 8 * 1180) },
    }],
    ["other id", { ...good, kemOneTimePrekey: { ...oneTime, id: 78 } }],
    ["last-resort signature as one-time", { ...good, kemOneTimePrekey: lastResort }],
    ["one-time signature as last-resort", { ...good, kemLastResortPrekey: oneTime }],
    ["bad last-resort beside a good one-time", {
      ...good,
      kemLastResortPrekey: { ...lastResort, signature: flipBit(lastResort.signature, 1) },
    }],
    ["signed by another identity", {
      ...good,
      kemOneTimePrekey: await signPrekey(PrekeyKind.KemOneTime, 77, oneTime.publicKey, alice.key),
    }],
    ["unreduced key", { ...good, kemOneTimePrekey: { ...oneTime, publicKey: unreduced } }],
    ["X25519 prekey as KEM prekey", { ...good, kemOneTimePrekey: good.signedPrekey }],
  ];
  for (const [label, bundle] of cases) {
    await assert.rejects(
      initiate(alice, bundle),
      (err: unknown) => err instanceof X3dhError && /KEM prekey is not signed/.test(err.message),
      label,
    );
  }
  // and the X25519 checks still hold in PQXDH
  const badSpk = { ...good.signedPrekey, signature: flipBit(good.signedPrekey.signature, 3) };
  await assert.rejects(initiate(alice, { ...good, signedPrekey: badSpk }), /signed prekey/);
});

Deno.test("a flipped KEM ciphertext: no decryption, and Bob's state is unchanged", async () => {
  const bobDevice = new Responder();
  const bundle = bob.pqBundle({ oneTimeEc: true, oneTimeKem: true });
  const flipped = await firstMessage(
    bundle,
    "hello",
    (init) =>
      init.protocol === "pqxdh"
        ? {
          ...init,
          pqxdh: { ...init.pqxdh, kemCiphertext: flipBit(init.pqxdh.kemCiphertext, 77) },
        }
        : init,
  );
  const before = bobDevice.held();
  await assert.rejects(bobDevice.receive(flipped.bytes), RatchetError);
  assert.deepEqual(bobDevice.held(), before);
  // Implicit rejection: Bob derived an SK, just not Alice's.
  const { words } = await bobDevice.receive((await firstMessage(bundle, "again")).bytes);
  assert.equal(words, "again");
});

Deno.test("a replayed first message whose one-time KEM prekey is used up is refused", async () => {
  const bobDevice = new Responder();
  // Without an EC one-time prekey, only the KEM one stands between a replay and a new session.
  const { bytes } = await firstMessage(bob.pqBundle({ oneTimeEc: false, oneTimeKem: true }), "hi");
  assert.equal((await bobDevice.receive(bytes)).words, "hi");
  await assert.rejects(
    bobDevice.receive(bytes),
    (err: unknown) =>
      err instanceof X3dhError && /one-time KEM prekey 77 is unknown or already used/.test(
        err.message,
      ),
  );
  assert.deepEqual(bobDevice.held(), [[42], [], [5]]);
});

Deno.test("respond refuses a KEM prekey mismatch and a ciphertext of the wrong length", async () => {
  const init = await initiate(alice, bob.pqBundle({ oneTimeEc: false, oneTimeKem: false }));
  assert.equal(init.protocol, "pqxdh");
  if (init.protocol !== "pqxdh") return;
  const keys = {
    identityKey: bob.identityKey,
    identityDh: bob.identityDh,
    signedPrekey: bob.signedPrekey,
  };
  const message = {
    identityKey: alice.identityKey,
    identityDhKey: init.identityDhKey,
    ephemeralKey: init.ephemeralPublic,
    pqxdh: init.pqxdh,
  };
  await assert.rejects(respond(keys, message), /last-resort KEM prekey 5 is unknown/);
  const { pqxdh: _, ...classic } = message;
  await assert.rejects(
    respond({ ...keys, kemPrekey: bob.kemLastResort }, classic),
    /the message names none/,
  );
  const short = { ...init.pqxdh, kemCiphertext: init.pqxdh.kemCiphertext.subarray(1) };
  await assert.rejects(
    respond({ ...keys, kemPrekey: bob.kemLastResort }, { ...message, pqxdh: short }),
    RangeError,
  );
  const wrongKey = await respond({ ...keys, kemPrekey: bob.kemOneTime }, message);
  assert.notDeepEqual(wrongKey.sharedKey, init.sharedKey);
});

Deno.test("the envelope carries the PQXDH header and refuses a malformed one", async () => {
  const { init, bytes } = await firstMessage(
    bob.pqBundle({ oneTimeEc: true, oneTimeKem: true }),
    "x",
  );
  const envelope = await openEnvelope(bytes);
  assert.equal(init.protocol, "pqxdh");
  assert.deepEqual(envelope.prekey?.pqxdh, init.protocol === "pqxdh" ? init.pqxdh : undefined);
  const short = (init: PqxdhInitiation): PqxdhInitiation =>
    init.protocol === "pqxdh"
      ? { ...init, pqxdh: { ...init.pqxdh, kemCiphertext: new Uint8Array(1087) } }
      : init;
  await assert.rejects(
    firstMessage(bob.pqBundle({ oneTimeEc: true, oneTimeKem: true }), "x", short),
    /PQXDH KEM ciphertext is 1087 bytes, not 1088/,
  );
});

// The spec's formula computed by hand, outside this code base (Python's `cryptography`: X25519
// and HKDF-SHA-256), over fixed keys: X25519 private keys of 32 bytes 0x11 (IK_A), 0x22 (EK_A),
// 0x33 (IK_B), 0x44 (SPK_B), 0x55 (OPK_B); the KEM prekey and encapsulation randomness of
// Wycheproof mlkem_768_test tcId 2 / mlkem_768_encaps_test tcId 14, whose SS is e7184a09…0368.
//   SK = HKDF-SHA-256(ikm = 0xFF*32 ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, salt = 0x00*32,
//                     info = "tincan-pqxdh-v1_CURVE25519_SHA-256_ML-KEM-768", 32)
const KEM_SEED = "7c9935a0b07694aa0c6d10e4db6b1add2fd81a25ccb148032dcd739936737f2d" +
  "8626ed79d451140800e03b59b956f8210e556067407d13dc90fa9e8b872bfb8f";
const KEM_M = "147c03f7a5bebba406c8fae1874d7f13c80efe79a3a9a874cc09fe76f6997615";
const SK_WITH_DH4 = "9038b8c4206218ded57be880ad521d73bfb6896102b570b81d4b15e3e7b5b294";
const SK_WITHOUT_DH4 = "02ce84c10a14145034da6cec2dd78a7b4b80abd36e081de869032b7104260736";

Deno.test("SK matches a vector hand-computed from the spec's KDF formula", async () => {
  assert.equal(PQXDH_KDF_INFO, "tincan-pqxdh-v1_CURVE25519_SHA-256_ML-KEM-768");
  const fixed = (byte: number) => x25519PairOf(new Uint8Array(32).fill(byte));
  const key = await generateKeyPair("Ed25519");
  const [identityDh, signedPrekey, oneTimePrekey] = await Promise.all(
    [0x33, 0x44, 0x55].map(fixed),
  );
  const kem = kemKeyPairFromSeed(fromHex(KEM_SEED));
  const bundle = {
    identityKey: key.publicKey.raw,
    identityDhKey: await signPrekey(PrekeyKind.IdentityDh, 0, identityDh!.publicKey, key),
    signedPrekey: await signPrekey(PrekeyKind.Signed, 1, signedPrekey!.publicKey, key),
    kemLastResortPrekey: await signPrekey(PrekeyKind.KemLastResort, 2, kem.publicKey, key),
  };
  const initiator = { identityKey: alice.identityKey, identityDh: await fixed(0x11) };
  const ephemeral: KeyPairSource = () => fixed(0x22);
  for (const [withDh4, expected] of [[true, SK_WITH_DH4], [false, SK_WITHOUT_DH4]] as const) {
    const withOneTime = withDh4
      ? {
        ...bundle,
        oneTimePrekey: await signPrekey(PrekeyKind.OneTime, 3, oneTimePrekey!.publicKey, key),
      }
      : bundle;
    const init = await initiate(initiator, withOneTime, {
      generateKeyPair: ephemeral,
      kemRandomness: () => fromHex(KEM_M),
    });
    assert.deepEqual(init.sharedKey, fromHex(expected), `DH4 ${withDh4}`);
    if (init.protocol !== "pqxdh") throw new Error("expected PQXDH");
    const secret = await respond({
      identityKey: bundle.identityKey,
      identityDh: identityDh!,
      signedPrekey: signedPrekey!,
      ...(withDh4 ? { oneTimePrekey: oneTimePrekey! } : {}),
      kemPrekey: kem,
    }, {
      identityKey: initiator.identityKey,
      identityDhKey: init.identityDhKey,
      ephemeralKey: init.ephemeralPublic,
      ...(withDh4 ? { oneTimePrekeyId: 3 } : {}),
      pqxdh: init.pqxdh,
    });
    assert.deepEqual(secret.sharedKey, fromHex(expected), `DH4 ${withDh4}`);
  }
});
