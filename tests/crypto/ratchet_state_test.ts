import assert from "node:assert/strict";
import { RatchetState as RatchetStateMessage } from "../../src/proto/ratchet.ts";
import { ratchetDecrypt, ratchetEncrypt, ratchetInitBob } from "../../src/crypto/ratchet.ts";
import { deserializeRatchetState, serializeRatchetState } from "../../src/crypto/ratchet_state.ts";
import { establish, makeParty, text, untext } from "./parties.ts";

const alice = await makeParty();
const bob = await makeParty();

Deno.test("a state survives serialization, skipped keys included, and keeps working", async () => {
  const s = await establish(alice, bob);
  let a = s.alice;
  const sent = [];
  for (let i = 0; i < 3; i++) {
    const out = await ratchetEncrypt(a, text(`m${i}`));
    a = out.state;
    sent.push(out.message);
  }
  const received = await ratchetDecrypt(s.bob, sent[2]!, { now: 123 });
  const bytes = serializeRatchetState(received.state);
  const restored = deserializeRatchetState(bytes);
  assert.deepEqual(restored, received.state);
  assert.deepEqual(serializeRatchetState(restored), bytes);
  assert.equal(restored.skipped.length, 2);
  assert.equal(restored.skipped[0]!.skippedAt, 123);
  const m0 = await ratchetDecrypt(restored, sent[0]!, { now: 124 });
  assert.equal(untext(m0.plaintext), "m0");
  const aRestored = deserializeRatchetState(serializeRatchetState(a));
  const next = await ratchetEncrypt(aRestored, text("after"));
  assert.equal(
    untext((await ratchetDecrypt(m0.state, next.message, { now: 0 })).plaintext),
    "after",
  );
});

Deno.test("a fresh responder state (no receiving chain) round-trips", () => {
  const state = ratchetInitBob(new Uint8Array(32).fill(1), bob.signedPrekey, text("ad"));
  const restored = deserializeRatchetState(serializeRatchetState(state));
  assert.deepEqual(restored, state);
  assert.equal("receivingKey" in restored, false);
  assert.equal("sendingChainKey" in restored, false);
});

Deno.test("deserialization rejects malformed, wrong-version and out-of-bound states", async () => {
  const s = await establish(alice, bob);
  const good = RatchetStateMessage.decode(serializeRatchetState(s.alice));
  const bad = (patch: Partial<RatchetStateMessage>) =>
    RatchetStateMessage.encode({ ...good, ...patch });
  assert.throws(() => deserializeRatchetState(Uint8Array.of(0xff, 0xff, 0xff)), RangeError);
  assert.throws(() => deserializeRatchetState(bad({ version: 2 })), /version 2/);
  assert.throws(() => deserializeRatchetState(bad({ rootKey: new Uint8Array(31) })), /root key/);
  assert.throws(
    () => deserializeRatchetState(bad({ sendingPrivateKey: new Uint8Array(0) })),
    RangeError,
  );
  assert.throws(
    () => deserializeRatchetState(bad({ associatedData: new Uint8Array(2000) })),
    /too long/,
  );
  const { receivingKey: _, ...noKey } = good;
  assert.throws(
    () =>
      deserializeRatchetState(
        RatchetStateMessage.encode({ ...noKey, receivingChainKey: new Uint8Array(32) }),
      ),
    /needs a receiving key/,
  );
  const key = { ratchetKey: new Uint8Array(32), n: 0, messageKey: new Uint8Array(32) };
  const many = Array.from({ length: 2001 }, () => ({ ...key, skippedAt: 0n }));
  assert.throws(() => deserializeRatchetState(bad({ skipped: many })), /malformed/);
  assert.throws(
    () => deserializeRatchetState(bad({ skipped: [{ ...key, skippedAt: 2n ** 60n }] })),
    /time/,
  );
  assert.throws(
    () =>
      deserializeRatchetState(
        bad({ skipped: [{ ...key, messageKey: new Uint8Array(5), skippedAt: 0n }] }),
      ),
    /skipped message key/,
  );
});
