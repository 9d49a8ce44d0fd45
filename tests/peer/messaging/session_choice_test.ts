/**
 * Which session sends: the pure choice, and two SessionManagers that start sessions with each
 * other at once and keep sending at once — without a rule they answer each other on alternating
 * sessions forever; with it they converge on the same one.
 */
import assert from "node:assert/strict";
import { newMessageId, openEnvelope, sealEnvelope } from "../../../src/crypto/envelope.ts";
import { PrekeyKind } from "../../../src/crypto/prekeys.ts";
import { toHex } from "../../../src/crypto/bytes.ts";
import {
  sendingSession,
  SESSION_CONVERGE_WINDOW_MS,
} from "../../../src/peer/messaging/session_choice.ts";
import { SessionManager } from "../../../src/peer/messaging/session_manager.ts";
import { OwnKeyStore } from "../../../src/peer/store/own_keys.ts";
import {
  RatchetSessionStore,
  type StoredSession,
} from "../../../src/peer/store/ratchet_sessions.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openDatabase } from "../../../src/store/database.ts";
import { makeParty, type Party, text, untext } from "../../crypto/parties.ts";

const NOW = 1_700_000_000_000;

function session(id: number, updatedAt: number, receivedAt?: number): StoredSession {
  return {
    username: "bob",
    sessionId: Uint8Array.of(id),
    identityKey: Uint8Array.of(0),
    state: new Uint8Array(0),
    updatedAt,
    ...(receivedAt === undefined ? {} : { receivedAt }),
  };
}

Deno.test("sendingSession: a fresh start sends; else the lowest id among those in use", () => {
  assert.equal(sendingSession([]), undefined);
  const started = session(9, NOW + 2);
  assert.equal(sendingSession([started, session(1, NOW, NOW)]), started, "ours, just started");
  const two = [session(9, NOW + 2, NOW + 2), session(3, NOW + 1, NOW + 1), session(1, NOW)];
  assert.equal(sendingSession(two)!.sessionId[0], 3, "never decrypted: the peer may lack it");
  const stale = [session(9, NOW, NOW), session(1, NOW - 1, NOW - SESSION_CONVERGE_WINDOW_MS - 1)];
  assert.equal(sendingSession(stale)!.sessionId[0], 9, "long silent: the peer may have lost it");
});

interface Side {
  readonly name: string;
  readonly party: Party;
  readonly ownKeys: OwnKeyStore;
  readonly sessions: RatchetSessionStore;
  readonly manager: SessionManager;
}

async function side(name: string): Promise<Side> {
  const party = await makeParty();
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const ownKeys = new OwnKeyStore(db);
  const sessions = new RatchetSessionStore(db);
  const signature = (key: { signature: Uint8Array }) => key.signature;
  ownKeys.add({
    kind: PrekeyKind.Signed,
    id: 7,
    pair: party.signedPrekey,
    signature: signature(party.bundle.signedPrekey),
    createdAt: NOW,
  });
  ownKeys.add({
    kind: PrekeyKind.OneTime,
    id: 42,
    pair: party.oneTimePrekey,
    signature: signature(party.bundle.oneTimePrekey!),
    createdAt: NOW,
  });
  const manager = new SessionManager(
    { identityKey: party.identityKey, identityDh: party.identityDh },
    ownKeys,
    sessions,
  );
  return { name, party, ownKeys, sessions, manager };
}

/** `from` encrypts `message` for `to` and commits; the envelope and the session id it used. */
async function send(from: Side, to: Side, message: string, now: number) {
  const encrypted = await from.manager.encrypt(
    { username: to.name, identityKey: to.party.identityKey },
    text(message),
    () => Promise.resolve(to.party.bundle),
    now,
  );
  from.sessions.save(encrypted.session);
  const bytes = await sealEnvelope(from.party.signer, {
    sender: from.party.identityKey,
    recipient: to.party.identityKey,
    messageId: newMessageId(),
    timestamp: now,
    ratchetHeader: encrypted.message.header,
    ciphertext: encrypted.message.ciphertext,
    ...(encrypted.prekey ? { prekey: encrypted.prekey } : {}),
  });
  return { bytes, session: toHex(encrypted.session.sessionId) };
}

/** `me` decrypts and commits an envelope from `from`; its text. */
async function receive(me: Side, from: Side, bytes: Uint8Array, now: number): Promise<string> {
  const envelope = await openEnvelope(bytes, from.party.identityKey, me.party.identityKey);
  const decrypted = await me.manager.decrypt(
    { username: from.name, identityKey: from.party.identityKey },
    envelope,
    now,
  );
  me.sessions.save(decrypted.session);
  if (decrypted.usedOneTimePrekeyId !== undefined) {
    me.ownKeys.delete(PrekeyKind.OneTime, decrypted.usedOneTimePrekeyId);
  }
  return untext(decrypted.plaintext);
}

Deno.test("two sides that start sessions at once and keep sending at once converge on one", async () => {
  const alice = await side("alice");
  const bob = await side("bob");
  const used: [string, string][] = [];
  for (let round = 0; round < 4; round++) {
    const now = NOW + round * 1000;
    // Both send before either receives the other's message.
    const fromAlice = await send(alice, bob, `a${round}`, now);
    const fromBob = await send(bob, alice, `b${round}`, now);
    assert.equal(await receive(bob, alice, fromAlice.bytes, now + 500), `a${round}`);
    assert.equal(await receive(alice, bob, fromBob.bytes, now + 500), `b${round}`);
    used.push([fromAlice.session, fromBob.session]);
  }
  const [first, second, third, fourth] = used;
  assert.notEqual(first![0], first![1], "both started a session of their own");
  assert.notEqual(second![0], second![1], "each answered on the other's: they cross");
  assert.equal(third![0], third![1], "both now hold both, and send with the same one");
  assert.deepEqual(fourth, third, "and stay on it");
  const lower = [first![0], first![1]].sort()[0];
  assert.equal(third![0], lower, "the one with the lower id");
});
