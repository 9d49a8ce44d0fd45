/**
 * Property: under any schedule of sends, deliveries in any order, drops, replays and tampered
 * copies between two parties, every message that is not dropped decrypts exactly once to what was
 * sent, every replay or tampered copy fails, and a failure leaves the receiver's state unchanged.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetMessage,
  type RatchetState,
} from "../../src/crypto/ratchet.ts";
import { serializeRatchetState } from "../../src/crypto/ratchet_state.ts";
import { establish, flipBit, makeParty, text, untext } from "./parties.ts";

const alice = await makeParty();
const bob = await makeParty();

type Side = 0 | 1;
type Action =
  | { kind: "send"; from: Side }
  | { kind: "deliver" | "drop" | "replay" | "tamper"; to: Side; pick: number; bit: number };

const side = fc.constantFrom<Side>(0, 1);
const target = (kind: "deliver" | "drop" | "replay" | "tamper") =>
  fc.record({ kind: fc.constant(kind), to: side, pick: fc.nat(), bit: fc.nat() });
const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("send" as const), from: side }), weight: 4 },
  { arbitrary: target("deliver"), weight: 4 },
  { arbitrary: target("drop"), weight: 1 },
  { arbitrary: target("replay"), weight: 1 },
  { arbitrary: target("tamper"), weight: 1 },
);

const counts = { delivered: 0, refused: 0 };

interface Sent {
  readonly message: RatchetMessage;
  readonly plaintext: string;
}

async function refuses(state: RatchetState, message: RatchetMessage): Promise<void> {
  const before = serializeRatchetState(state);
  await assert.rejects(ratchetDecrypt(state, message, { now: 0 }));
  counts.refused++;
  assert.deepEqual(serializeRatchetState(state), before);
}

Deno.test("random schedules: each message decrypts exactly once; failures change nothing", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(action, { minLength: 10, maxLength: 40, size: "medium" }),
      async (actions) => {
        const s = await establish(alice, bob);
        const states: [RatchetState, RatchetState] = [s.alice, s.bob];
        const inFlight: [Sent[], Sent[]] = [[], []]; // indexed by recipient
        const delivered: [Sent[], Sent[]] = [[], []];
        let counter = 0;
        for (const a of actions) {
          if (a.kind === "send") {
            if (!states[a.from].sendingChainKey) continue; // bob speaks once spoken to
            const plaintext = `m${counter++}`;
            const out = await ratchetEncrypt(states[a.from], text(plaintext));
            states[a.from] = out.state;
            inFlight[a.from === 0 ? 1 : 0].push({ message: out.message, plaintext });
            continue;
          }
          const pool = a.kind === "replay" ? delivered[a.to] : inFlight[a.to];
          if (pool.length === 0) continue;
          const index = a.pick % pool.length;
          const item = pool[index]!;
          if (a.kind === "deliver") {
            const out = await ratchetDecrypt(states[a.to], item.message, { now: 0 });
            assert.equal(untext(out.plaintext), item.plaintext);
            states[a.to] = out.state;
            counts.delivered++;
            pool.splice(index, 1);
            delivered[a.to].push(item);
          } else if (a.kind === "drop") {
            pool.splice(index, 1);
          } else if (a.kind === "replay") {
            await refuses(states[a.to], item.message);
          } else {
            const { header, ciphertext } = item.message;
            const bit = a.bit % ((header.length + ciphertext.length) * 8);
            const tampered = bit < header.length * 8
              ? { header: flipBit(header, bit), ciphertext }
              : { header, ciphertext: flipBit(ciphertext, bit - header.length * 8) };
            await refuses(states[a.to], tampered);
          }
        }
        // Everything still in flight decrypts, in reverse order of sending.
        for (const to of [0, 1] as const) {
          for (const item of inFlight[to].reverse()) {
            const out = await ratchetDecrypt(states[to], item.message, { now: 0 });
            assert.equal(untext(out.plaintext), item.plaintext);
            states[to] = out.state;
            counts.delivered++;
            await refuses(states[to], item.message);
          }
        }
      },
    ),
    { numRuns: 100 },
  );
  // The schedules did exercise both outcomes.
  assert.ok(counts.delivered > 300 && counts.refused > 200, JSON.stringify(counts));
});
