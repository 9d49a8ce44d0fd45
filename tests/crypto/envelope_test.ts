import assert from "node:assert/strict";
import { EnvelopeBody, SignedEnvelope } from "../../src/proto/envelope.ts";
import {
  type Envelope,
  EnvelopeError,
  MESSAGE_ID_BYTES,
  newMessageId,
  openEnvelope,
  sealEnvelope,
} from "../../src/crypto/envelope.ts";
import { MAX_ENVELOPE_BYTES } from "../../src/protocol/limits.ts";
import { concat, type Signer } from "../../src/crypto/primitives.ts";
import { ratchetDecrypt, ratchetEncrypt } from "../../src/crypto/ratchet.ts";
import { serializeRatchetState } from "../../src/crypto/ratchet_state.ts";
import { establish, flipBit, makeParty, text } from "./parties.ts";

const alice = await makeParty();
const bob = await makeParty();
const mallory = await makeParty();

function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    sender: alice.identityKey,
    recipient: bob.identityKey,
    messageId: newMessageId(),
    timestamp: 1_700_000_000_000,
    ratchetHeader: new Uint8Array(40).fill(3),
    ciphertext: new Uint8Array(30).fill(4),
    ...overrides,
  };
}

/** Signs an arbitrary body as `signer` would, bypassing sealEnvelope's checks. */
async function forge(signer: Signer, body: EnvelopeBody): Promise<Uint8Array> {
  const bytes = EnvelopeBody.encode(body);
  const domain = text("tincan-envelope-v1");
  const signature = await signer.sign(concat(domain, Uint8Array.of(0), bytes));
  return SignedEnvelope.encode({ body: bytes, signature });
}

function rawBody(e: Envelope): EnvelopeBody {
  return { ...e, version: 1, timestamp: BigInt(e.timestamp) } as EnvelopeBody;
}

Deno.test("an envelope round-trips, with and without an X3DH header", async () => {
  const plain = envelope();
  assert.deepEqual(await openEnvelope(await sealEnvelope(alice.signer, plain)), plain);
  const first = envelope({
    prekey: {
      identityDhKey: alice.identityDh.publicKey,
      ephemeralKey: new Uint8Array(32).fill(9),
      signedPrekeyId: 7,
      oneTimePrekeyId: 0,
    },
  });
  const sealed = await sealEnvelope(alice.signer, first);
  assert.deepEqual(await openEnvelope(sealed, alice.identityKey, bob.identityKey), first);
  const { oneTimePrekeyId: _, ...noOneTime } = first.prekey!;
  const second = envelope({ prekey: noOneTime });
  const opened = await openEnvelope(await sealEnvelope(alice.signer, second));
  assert.deepEqual(opened, second);
  assert.equal("oneTimePrekeyId" in opened.prekey!, false);
});

Deno.test("newMessageId gives 16 random bytes and takes injected randomness", () => {
  assert.equal(newMessageId().length, MESSAGE_ID_BYTES);
  assert.notDeepEqual(newMessageId(), newMessageId());
  assert.deepEqual(newMessageId((n) => new Uint8Array(n).fill(1)), new Uint8Array(16).fill(1));
  assert.throws(() => newMessageId(() => new Uint8Array(8)), RangeError);
});

Deno.test("a bit flip anywhere in a sealed envelope is an EnvelopeError", async () => {
  const sealed = await sealEnvelope(alice.signer, envelope());
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    await assert.rejects(
      openEnvelope(flipBit(sealed, bit)),
      EnvelopeError,
      `bit ${bit}`,
    );
  }
  await assert.rejects(openEnvelope(sealed.subarray(0, sealed.length - 1)), EnvelopeError);
  await assert.rejects(openEnvelope(new Uint8Array(0)), EnvelopeError);
});

Deno.test("the signature is checked before the body is read or decrypted", async () => {
  const s = await establish(alice, bob);
  const out = await ratchetEncrypt(s.alice, text("hello"));
  const good = envelope({ ratchetHeader: out.message.header, ciphertext: out.message.ciphertext });
  // Mallory signs a copy of a real ratchet message as if from alice: refused, ratchet untouched.
  const forged = await forge(mallory.signer, rawBody(good));
  const before = serializeRatchetState(s.bob);
  await assert.rejects(openEnvelope(forged, alice.identityKey), /not signed by the expected/);
  await assert.rejects(openEnvelope(forged), /signature does not verify/);
  assert.deepEqual(serializeRatchetState(s.bob), before);
  // A body that is not even protobuf, badly signed: the signature error comes first.
  const junk = SignedEnvelope.encode({
    body: Uint8Array.of(0xff, 0xff),
    signature: new Uint8Array(64),
  });
  await assert.rejects(openEnvelope(junk, alice.identityKey), /not signed by the expected/);
  await assert.rejects(openEnvelope(junk), /body is malformed/);
  // The genuine one opens and decrypts.
  const opened = await openEnvelope(await sealEnvelope(alice.signer, good), alice.identityKey);
  const plain = await ratchetDecrypt(
    s.bob,
    { header: opened.ratchetHeader, ciphertext: opened.ciphertext },
    { now: 0 },
  );
  assert.deepEqual(plain.plaintext, text("hello"));
});

Deno.test("a wrong sender or recipient is an EnvelopeError", async () => {
  const sealed = await sealEnvelope(alice.signer, envelope());
  await assert.rejects(openEnvelope(sealed, mallory.identityKey), EnvelopeError);
  await assert.rejects(
    openEnvelope(sealed, alice.identityKey, mallory.identityKey),
    /addressed to/,
  );
  await assert.rejects(openEnvelope(sealed, new Uint8Array(31)), /not 32 bytes/);
  // Mallory's own signature over a body that names alice as sender.
  const claim = await forge(mallory.signer, rawBody(envelope()));
  await assert.rejects(openEnvelope(claim, mallory.identityKey), /not the expected peer/);
  await assert.rejects(sealEnvelope(mallory.signer, envelope()), RangeError);
});

Deno.test("well-signed but malformed envelopes are EnvelopeErrors", async () => {
  const cases: Array<[Partial<EnvelopeBody>, RegExp]> = [
    [{ version: 2 }, /version 2/],
    [{ messageId: new Uint8Array(15) }, /message id/],
    [{ ratchetHeader: new Uint8Array(39) }, /ratchet header/],
    [{ ciphertext: new Uint8Array(15) }, /shorter than a tag/],
    [{ recipient: new Uint8Array(0) }, /recipient key/],
    [{ timestamp: 2n ** 60n }, /timestamp/],
    [{
      prekey: {
        identityDhKey: new Uint8Array(3),
        ephemeralKey: new Uint8Array(32),
        signedPrekeyId: 1,
      },
    }, /X3DH identity key/],
  ];
  for (const [patch, reason] of cases) {
    const bytes = await forge(alice.signer, { ...rawBody(envelope()), ...patch });
    await assert.rejects(openEnvelope(bytes, alice.identityKey), reason);
    await assert.rejects(openEnvelope(bytes), EnvelopeError);
  }
});

Deno.test("sealEnvelope checks fields and size; openEnvelope bounds its input", async () => {
  await assert.rejects(
    sealEnvelope(alice.signer, envelope({ messageId: new Uint8Array(4) })),
    RangeError,
  );
  await assert.rejects(sealEnvelope(alice.signer, envelope({ timestamp: -1 })), RangeError);
  await assert.rejects(
    sealEnvelope(alice.signer, envelope({ ciphertext: new Uint8Array(MAX_ENVELOPE_BYTES) })),
    /over the limit/,
  );
  await assert.rejects(openEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1)), /over the limit/);
});
