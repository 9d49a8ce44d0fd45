import assert from "node:assert/strict";
import {
  decodeHeader,
  encodeHeader,
  HEADER_BYTES,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  pruneSkippedKeys,
  ratchetDecrypt,
  ratchetEncrypt,
  RatchetError,
  type RatchetMessage,
  type RatchetState,
  SKIPPED_KEY_MAX_AGE_MS,
} from "../../src/crypto/ratchet.ts";
import { serializeRatchetState } from "../../src/crypto/ratchet_state.ts";
import { establish, flipBit, makeParty, text, untext } from "./parties.ts";

const alice = await makeParty();
const bob = await makeParty();

/** A sender/receiver pair of session states, advanced by the helpers below. */
class Pair {
  constructor(public a: RatchetState, public b: RatchetState) {}

  static async create(): Promise<Pair> {
    const s = await establish(alice, bob);
    return new Pair(s.alice, s.bob);
  }

  async send(from: "a" | "b", message: string): Promise<RatchetMessage> {
    const out = await ratchetEncrypt(this[from], text(message));
    this[from] = out.state;
    return out.message;
  }

  async sendMany(from: "a" | "b", count: number): Promise<RatchetMessage[]> {
    const messages = [];
    for (let i = 0; i < count; i++) messages.push(await this.send(from, `${from}${i}`));
    return messages;
  }

  async receive(to: "a" | "b", message: RatchetMessage, now = 0): Promise<string> {
    const out = await ratchetDecrypt(this[to], message, { now });
    this[to] = out.state;
    return untext(out.plaintext);
  }

  /** Asserts that `to` cannot decrypt `message` and that its state did not change. */
  async refuses(to: "a" | "b", message: RatchetMessage, now = 0): Promise<void> {
    const before = serializeRatchetState(this[to]);
    await assert.rejects(ratchetDecrypt(this[to], message, { now }));
    assert.deepEqual(serializeRatchetState(this[to]), before);
  }
}

Deno.test("the header is public key ‖ PN (u32 BE) ‖ N (u32 BE)", () => {
  const publicKey = new Uint8Array(32).fill(7);
  const bytes = encodeHeader({ publicKey, previousCount: 0x01020304, n: 0xfffffffe });
  assert.equal(bytes.length, HEADER_BYTES);
  assert.deepEqual(bytes.subarray(32), Uint8Array.of(1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe));
  assert.deepEqual(decodeHeader(bytes), { publicKey, previousCount: 0x01020304, n: 0xfffffffe });
  assert.throws(() => decodeHeader(bytes.subarray(1)), RatchetError);
  assert.throws(() => encodeHeader({ publicKey, previousCount: -1, n: 0 }), RangeError);
  assert.throws(() => encodeHeader({ publicKey, previousCount: 0, n: 2 ** 32 }), RangeError);
});

Deno.test("messages in order, both ways, over several DH ratchet steps", async () => {
  const p = await Pair.create();
  for (let round = 0; round < 4; round++) {
    for (const m of await p.sendMany("a", 3)) assert.match(await p.receive("b", m), /^a\d$/);
    for (const m of await p.sendMany("b", 2)) assert.match(await p.receive("a", m), /^b\d$/);
  }
  assert.equal(p.a.skipped.length + p.b.skipped.length, 0);
});

Deno.test("the responder cannot send before it has received", async () => {
  const p = await Pair.create();
  await assert.rejects(ratchetEncrypt(p.b, text("early")), RatchetError);
});

Deno.test("out-of-order and dropped messages, across a ratchet step", async () => {
  const p = await Pair.create();
  const [a0, a1, a2, a3] = await p.sendMany("a", 4);
  assert.equal(await p.receive("b", a2!), "a2");
  assert.equal(await p.receive("b", a0!), "a0");
  assert.equal(p.b.skipped.length, 1);
  const [b0] = await p.sendMany("b", 1);
  assert.equal(await p.receive("a", b0!), "b0");
  const [a4] = await p.sendMany("a", 1); // new chain; a3 of the old chain is skipped via PN
  assert.equal(await p.receive("b", a4!), "a0");
  assert.equal(await p.receive("b", a3!), "a3");
  assert.equal(await p.receive("b", a1!), "a1");
  assert.equal(p.b.skipped.length, 0);
});

Deno.test("a duplicate fails and leaves the state unchanged (current chain and skipped key)", async () => {
  const p = await Pair.create();
  const [a0, a1, a2] = await p.sendMany("a", 3);
  await p.receive("b", a1!);
  await p.refuses("b", a1!);
  await p.receive("b", a0!); // from the skipped keys
  await p.refuses("b", a0!);
  await p.receive("b", a2!);
  await p.refuses("b", a2!);
  await assert.rejects(ratchetDecrypt(p.b, a1!, { now: 0 }), /already received/);
});

Deno.test(`a jump over MAX_SKIP (${MAX_SKIP}) is rejected, a jump of exactly MAX_SKIP is not`, async () => {
  const p = await Pair.create();
  const messages = await p.sendMany("a", MAX_SKIP + 2);
  await p.refuses("b", messages[MAX_SKIP + 1]!);
  await assert.rejects(ratchetDecrypt(p.b, messages[MAX_SKIP + 1]!, { now: 0 }), /more than/);
  assert.equal(await p.receive("b", messages[MAX_SKIP]!), `a${MAX_SKIP}`);
  assert.equal(p.b.skipped.length, MAX_SKIP);
});

Deno.test("bit flips in header, ciphertext or associated data fail and change nothing", async () => {
  const p = await Pair.create();
  const [a0, a1] = await p.sendMany("a", 2);
  await p.receive("b", a0!);
  const [b0] = await p.sendMany("b", 1);
  const [a2] = await p.sendMany("a", 1);
  const m = a1!;
  for (let bit = 0; bit < HEADER_BYTES * 8; bit += 3) {
    await p.refuses("b", { ...m, header: flipBit(m.header, bit) });
  }
  for (let bit = 0; bit < m.ciphertext.length * 8; bit += 7) {
    await p.refuses("b", { ...m, ciphertext: flipBit(m.ciphertext, bit) });
  }
  await p.refuses("b", { ...m, ciphertext: m.ciphertext.subarray(0, 10) });
  await p.refuses("b", { header: a2!.header, ciphertext: m.ciphertext });
  const ad = p.b.associatedData;
  for (const flipped of [flipBit(ad, 0), flipBit(ad, ad.length * 8 - 1)]) {
    const before = serializeRatchetState(p.b);
    await assert.rejects(ratchetDecrypt({ ...p.b, associatedData: flipped }, m, { now: 0 }));
    assert.deepEqual(serializeRatchetState(p.b), before);
  }
  assert.equal(await p.receive("b", m), "a1");
  assert.equal(await p.receive("a", b0!), "b0");
  assert.equal(await p.receive("b", a2!), "a0");
});

Deno.test(`at most ${MAX_SKIPPED_KEYS} skipped keys are kept, the oldest dropped first`, async () => {
  const p = await Pair.create();
  const chain1 = await p.sendMany("a", 1200);
  await p.receive("b", chain1[1199]!);
  await p.receive("a", (await p.sendMany("b", 1))[0]!);
  const chain2 = await p.sendMany("a", 1200);
  await p.receive("b", chain2[1199]!);
  assert.equal(p.b.skipped.length, MAX_SKIPPED_KEYS); // 2398 skipped, 398 dropped
  await p.refuses("b", chain1[397]!);
  await p.refuses("b", chain1[0]!);
  assert.equal(await p.receive("b", chain1[398]!), "a398");
  assert.equal(await p.receive("b", chain2[0]!), "a0");
});

Deno.test("skipped keys expire after SKIPPED_KEY_MAX_AGE_MS", async () => {
  const start = 1_700_000_000_000;
  const p = await Pair.create();
  const [a0, a1, a2] = await p.sendMany("a", 3);
  await p.receive("b", a2!, start);
  assert.equal(p.b.skipped.length, 2);
  assert.equal(p.b.skipped[0]!.skippedAt, start);
  assert.equal(await p.receive("b", a0!, start + SKIPPED_KEY_MAX_AGE_MS - 1), "a0");
  await p.refuses("b", a1!, start + SKIPPED_KEY_MAX_AGE_MS);
  assert.equal(pruneSkippedKeys(p.b, start + SKIPPED_KEY_MAX_AGE_MS).skipped.length, 0);
  assert.equal(pruneSkippedKeys(p.b, start).skipped.length, 1);
  const [a3] = await p.sendMany("a", 1);
  await p.receive("b", a3!, start + SKIPPED_KEY_MAX_AGE_MS);
  assert.equal(p.b.skipped.length, 0);
});

Deno.test("simultaneous sends in both directions all decrypt", async () => {
  const p = await Pair.create();
  await p.receive("b", (await p.sendMany("a", 1))[0]!);
  // Both send before seeing the other's messages.
  const fromA = await p.sendMany("a", 3);
  const fromB = await p.sendMany("b", 3);
  assert.equal(await p.receive("a", fromB[1]!), "b1");
  const more = await p.sendMany("a", 2); // a new chain, after seeing b's key
  assert.equal(await p.receive("b", more[1]!), "a1");
  assert.equal(await p.receive("b", fromA[2]!), "a2");
  assert.equal(await p.receive("b", fromA[0]!), "a0");
  assert.equal(await p.receive("a", fromB[0]!), "b0");
  assert.equal(await p.receive("b", more[0]!), "a0");
  assert.equal(await p.receive("b", fromA[1]!), "a1");
  assert.equal(await p.receive("a", fromB[2]!), "b2");
  assert.equal(p.a.skipped.length + p.b.skipped.length, 0);
});

Deno.test("encrypt and decrypt never mutate their input state", async () => {
  const p = await Pair.create();
  const a = p.a;
  const before = serializeRatchetState(a);
  const m = await p.send("a", "x");
  assert.deepEqual(serializeRatchetState(a), before);
  const b = p.b;
  const bBefore = serializeRatchetState(b);
  await p.receive("b", m);
  assert.deepEqual(serializeRatchetState(b), bBefore);
  assert.notDeepEqual(serializeRatchetState(p.b), bBefore);
});

Deno.test("a header naming the initiator's known ratchet key before any chain exists fails", async () => {
  const p = await Pair.create();
  const [a0] = await p.sendMany("a", 1);
  await p.receive("b", a0!);
  const [b0] = await p.sendMany("b", 1);
  const header = encodeHeader({ publicKey: bob.signedPrekey.publicKey, previousCount: 0, n: 0 });
  await p.refuses("a", { header, ciphertext: b0!.ciphertext });
  await assert.rejects(
    ratchetDecrypt(p.a, { header, ciphertext: b0!.ciphertext }, { now: 0 }),
    /no receiving chain/,
  );
  assert.equal(await p.receive("a", b0!), "b0");
});
