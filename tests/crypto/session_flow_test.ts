/**
 * A whole conversation between two in-memory parties, the way the peer layer will run it:
 * X3DH from a directory bundle, envelopes signed and checked, ratchet messages both ways,
 * sessions stored and reloaded between messages, duplicates dropped by id.
 */
import assert from "node:assert/strict";
import {
  type Envelope,
  newMessageId,
  openEnvelope,
  sealEnvelope,
} from "../../src/crypto/envelope.ts";
import {
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetInitAlice,
  ratchetInitBob,
  type RatchetState,
} from "../../src/crypto/ratchet.ts";
import { deserializeRatchetState, serializeRatchetState } from "../../src/crypto/ratchet_state.ts";
import { safetyNumber } from "../../src/crypto/safety_number.ts";
import { SeenIds } from "../../src/crypto/seen_ids.ts";
import { initiate, respond } from "../../src/crypto/x3dh.ts";
import { makeParty, type Party, text, untext } from "./parties.ts";

/** One side's view: its keys, its stored session (bytes, as in SQLite) and its seen ids. */
interface Peer {
  readonly party: Party;
  session?: Uint8Array;
  readonly seen: SeenIds;
  oneTimePrekeyUsed: boolean;
}

async function send(
  from: Peer,
  to: Peer,
  message: string,
  now: number,
  prekey?: Envelope["prekey"],
): Promise<Uint8Array> {
  const state = deserializeRatchetState(from.session!);
  const out = await ratchetEncrypt(state, text(message));
  const sealed = await sealEnvelope(from.party.signer, {
    sender: from.party.identityKey,
    recipient: to.party.identityKey,
    messageId: newMessageId(),
    timestamp: now,
    ratchetHeader: out.message.header,
    ciphertext: out.message.ciphertext,
    ...(prekey ? { prekey } : {}),
  });
  from.session = serializeRatchetState(out.state); // commit after the envelope is built
  return sealed;
}

async function receive(
  me: Peer,
  from: Peer,
  bytes: Uint8Array,
  now: number,
): Promise<string | undefined> {
  const envelope = await openEnvelope(bytes, from.party.identityKey, me.party.identityKey);
  if (me.seen.has(envelope.messageId, now)) return undefined; // duplicate: drop
  let state: RatchetState;
  if (envelope.prekey && !me.session) {
    const { party } = me;
    assert.equal(envelope.prekey.signedPrekeyId, party.bundle.signedPrekey.id);
    const usesOneTime = envelope.prekey.oneTimePrekeyId === party.bundle.oneTimePrekey?.id;
    const secret = await respond(
      {
        identityKey: party.identityKey,
        identityDh: party.identityDh,
        signedPrekey: party.signedPrekey,
        ...(usesOneTime && !me.oneTimePrekeyUsed ? { oneTimePrekey: party.oneTimePrekey } : {}),
      },
      {
        identityKey: envelope.sender,
        identityDhKey: envelope.prekey.identityDhKey,
        ephemeralKey: envelope.prekey.ephemeralKey,
        ...(envelope.prekey.oneTimePrekeyId === undefined
          ? {}
          : { oneTimePrekeyId: envelope.prekey.oneTimePrekeyId }),
      },
    );
    me.oneTimePrekeyUsed = true;
    state = ratchetInitBob(secret.sharedKey, party.signedPrekey, secret.associatedData);
  } else {
    state = deserializeRatchetState(me.session!);
  }
  const out = await ratchetDecrypt(
    state,
    { header: envelope.ratchetHeader, ciphertext: envelope.ciphertext },
    { now },
  );
  me.session = serializeRatchetState(out.state); // commit only on success
  me.seen.add(envelope.messageId, now);
  return untext(out.plaintext);
}

Deno.test("alice and bob: X3DH, then envelopes both ways, sessions reloaded each time", async () => {
  const alice: Peer = { party: await makeParty(), seen: new SeenIds(), oneTimePrekeyUsed: false };
  const bob: Peer = { party: await makeParty(), seen: new SeenIds(), oneTimePrekeyUsed: false };
  let now = 1_700_000_000_000;

  // Alice fetched bob's bundle from the directory and starts a session.
  const init = await initiate(alice.party, bob.party.bundle);
  alice.session = serializeRatchetState(
    await ratchetInitAlice(init.sharedKey, init.signedPrekeyPublic, init.associatedData),
  );
  const prekey = {
    identityDhKey: init.identityDhKey,
    ephemeralKey: init.ephemeralPublic,
    signedPrekeyId: init.signedPrekeyId,
    ...(init.oneTimePrekeyId === undefined ? {} : { oneTimePrekeyId: init.oneTimePrekeyId }),
  };
  // Until bob answers, alice repeats the X3DH header on every message.
  const first = await send(alice, bob, "hi bob", now++, prekey);
  const second = await send(alice, bob, "are you there?", now++, prekey);
  assert.equal(await receive(bob, alice, second, now++), "are you there?");
  assert.equal(await receive(bob, alice, first, now++), "hi bob");
  assert.equal(await receive(bob, alice, first, now++), undefined); // duplicate id

  for (let round = 0; round < 3; round++) {
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await send(bob, alice, `bob ${round}.${i}`, now++));
    const more = await send(alice, bob, `alice ${round}`, now++);
    for (const r of replies.reverse()) assert.match((await receive(alice, bob, r, now++))!, /^bob/);
    assert.equal(await receive(bob, alice, more, now++), `alice ${round}`);
  }

  // Both see the same safety number.
  const a = { username: "alice", identityKey: alice.party.identityKey };
  const b = { username: "bob", identityKey: bob.party.identityKey };
  assert.equal(safetyNumber(a, b), safetyNumber(b, a));
});
