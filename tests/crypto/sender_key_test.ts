import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Signer, signerFromPrivateKey } from "../../src/crypto/primitives.ts";
import {
  decodeChain,
  DuplicateRoomMessageError,
  encodeChain,
  MAX_SENDER_SKIP,
  newSenderChain,
  openRoomMessage,
  peekRoomMessage,
  type ReceiverChain,
  ROOM_ID_BYTES,
  sealRoomMessage,
  type SenderChain,
  SenderKeyError,
} from "../../src/crypto/sender_key.ts";
import { SKIPPED_KEY_MAX_AGE_MS } from "../../src/crypto/ratchet.ts";
import { flipBit, text, untext } from "./parties.ts";

const ROOM = new Uint8Array(ROOM_ID_BYTES).fill(7);
const NOW = 1_700_000_000_000;

/** A chain as a member receives it: encoded in a distribution message, decoded on arrival. */
function received(chain: SenderChain): ReceiverChain {
  return decodeChain(encodeChain(chain));
}

async function signer(): Promise<Signer> {
  return signerFromPrivateKey(await generateKeyPair("Ed25519"));
}

/** Seals `count` messages "m0", "m1" … with a fresh chain; returns them and the chain. */
async function sealMany(
  alice: Signer,
  count: number,
  chain: SenderChain = newSenderChain(1),
): Promise<{ messages: Uint8Array[]; start: SenderChain; chain: SenderChain }> {
  const start = chain;
  const messages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const sealed = await sealRoomMessage(alice, ROOM, chain, text(`m${i}`));
    chain = sealed.chain;
    messages.push(sealed.message);
  }
  return { messages, start, chain };
}

Deno.test("a room message opens with the distributed chain, in order", async () => {
  const alice = await signer();
  const { messages, start } = await sealMany(alice, 3);
  let state = received(start);
  for (const [i, message] of messages.entries()) {
    const opened = await openRoomMessage(state, ROOM, alice.publicKey, message, NOW);
    assert.equal(untext(opened.plaintext), `m${i}`);
    state = opened.state;
  }
  assert.equal(state.iteration, 3);
  assert.deepEqual(peekRoomMessage(messages[1]!).iteration, 1);
});

Deno.test("a duplicate is refused and leaves the state as it was", async () => {
  const alice = await signer();
  const { messages, start } = await sealMany(alice, 2);
  const first = await openRoomMessage(received(start), ROOM, alice.publicKey, messages[0]!, NOW);
  await assert.rejects(
    openRoomMessage(first.state, ROOM, alice.publicKey, messages[0]!, NOW),
    DuplicateRoomMessageError,
  );
  const second = await openRoomMessage(first.state, ROOM, alice.publicKey, messages[1]!, NOW);
  assert.equal(untext(second.plaintext), "m1");
});

Deno.test("skipped messages open later, once; more than MAX_SENDER_SKIP ahead is refused", async () => {
  const alice = await signer();
  const { messages, start } = await sealMany(alice, 3);
  const late = await openRoomMessage(received(start), ROOM, alice.publicKey, messages[2]!, NOW);
  assert.equal(late.state.skipped.length, 2);
  const early = await openRoomMessage(late.state, ROOM, alice.publicKey, messages[0]!, NOW);
  assert.equal(untext(early.plaintext), "m0");
  await assert.rejects(
    openRoomMessage(early.state, ROOM, alice.publicKey, messages[0]!, NOW),
    DuplicateRoomMessageError,
  );
  const far = { ...start, iteration: start.iteration + MAX_SENDER_SKIP + 1 };
  const ahead = await sealRoomMessage(alice, ROOM, far, text("far"));
  // The receiver's chain key is not the one for that iteration, but the skip bound comes first.
  await assert.rejects(
    openRoomMessage(received(start), ROOM, alice.publicKey, ahead.message, NOW),
    /skips 2001 messages/,
  );
});

Deno.test("tampering: a flipped bit, another sender, another room or truncation is refused", async () => {
  const alice = await signer();
  const mallory = await signer();
  const { messages, start } = await sealMany(alice, 1);
  const message = messages[0]!;
  const state = received(start);
  for (let bit = 0; bit < message.length * 8; bit += 13) {
    await assert.rejects(
      openRoomMessage(state, ROOM, alice.publicKey, flipBit(message, bit), NOW),
      SenderKeyError,
    );
  }
  await assert.rejects(
    openRoomMessage(state, ROOM, mallory.publicKey, message, NOW),
    SenderKeyError,
  );
  await assert.rejects(
    openRoomMessage(state, new Uint8Array(ROOM_ID_BYTES), alice.publicKey, message, NOW),
    /another room/,
  );
  await assert.rejects(
    openRoomMessage(state, ROOM, alice.publicKey, message.subarray(0, message.length - 1), NOW),
    SenderKeyError,
  );
  // Mallory re-signs Alice's body as herself: the signature is hers, the claimed sender Alice's.
  const forged = await sealRoomMessage(mallory, ROOM, start, text("m0"));
  await assert.rejects(
    openRoomMessage(state, ROOM, alice.publicKey, forged.message, NOW),
    /not signed by its sender/,
  );
});

Deno.test("after a rotation, a member with only the old chain cannot read", async () => {
  const alice = await signer();
  const old = await sealMany(alice, 2);
  const carol = received(old.start);
  const rotated = await sealMany(alice, 1, newSenderChain(2));
  await assert.rejects(
    openRoomMessage(carol, ROOM, alice.publicKey, rotated.messages[0]!, NOW),
    /uses chain 2, we hold chain 1/,
  );
  // Even claiming the old generation with the new message key does not help the old holder.
  const bob = received(rotated.start);
  assert.equal(
    untext(
      (await openRoomMessage(bob, ROOM, alice.publicKey, rotated.messages[0]!, NOW)).plaintext,
    ),
    "m0",
  );
});

Deno.test("chains survive encoding; a malformed chain is refused", () => {
  const chain = newSenderChain(3, () => new Uint8Array(32).fill(1));
  const state = {
    ...received(chain),
    skipped: [{ iteration: 0, messageKey: chain.chainKey, skippedAt: NOW }],
  };
  assert.deepEqual(decodeChain(encodeChain(state)), state);
  assert.throws(() => decodeChain(Uint8Array.of(0x1a, 0x01, 0x00)), SenderKeyError);
  assert.throws(() => newSenderChain(1, () => new Uint8Array(31)), RangeError);
});

Deno.test("property: any delivery order within the bound opens every message exactly once", async () => {
  const alice = await signer();
  const { messages, start } = await sealMany(alice, 12);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.nat({ max: 11 }), { minLength: 1, maxLength: 30 }),
      async (order) => {
        let state = received(start);
        const opened = new Set<number>();
        for (const i of order) {
          try {
            const result = await openRoomMessage(state, ROOM, alice.publicKey, messages[i]!, NOW);
            assert.equal(untext(result.plaintext), `m${i}`);
            assert.ok(!opened.has(i), `m${i} opened twice`);
            opened.add(i);
            state = result.state;
          } catch (err: unknown) {
            assert.ok(err instanceof DuplicateRoomMessageError, String(err));
            assert.ok(opened.has(i), `m${i} refused as a duplicate before it was opened`);
          }
        }
        assert.deepEqual([...opened].sort(), [...new Set(order)].sort());
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("a skipped room key expires like a 1:1 skipped key", async () => {
  const alice = await signer();
  const { messages, start } = await sealMany(alice, 3);
  // m2 first: the keys of m0 and m1 are skipped at NOW.
  const late = await openRoomMessage(received(start), ROOM, alice.publicKey, messages[2]!, NOW);
  assert.deepEqual(late.state.skipped.map((s) => s.skippedAt), [NOW, NOW]);
  // Within the horizon the skipped key still opens m0 …
  const inTime = NOW + SKIPPED_KEY_MAX_AGE_MS - 1;
  const early = await openRoomMessage(late.state, ROOM, alice.publicKey, messages[0]!, inTime);
  assert.equal(untext(early.plaintext), "m0");
  // … after it, m1's key is gone: the message is refused and the key no longer kept.
  const after = NOW + SKIPPED_KEY_MAX_AGE_MS;
  await assert.rejects(
    openRoomMessage(late.state, ROOM, alice.publicKey, messages[1]!, after),
    DuplicateRoomMessageError,
  );
  const more = await sealMany(alice, 1, late.state);
  const next = await openRoomMessage(late.state, ROOM, alice.publicKey, more.messages[0]!, after);
  assert.deepEqual(next.state.skipped, []);
  // The expiry survives the store: skippedAt is encoded with the chain.
  assert.deepEqual(decodeChain(encodeChain(late.state)), late.state);
});
