/**
 * SessionManager between two in-memory parties with `:memory:` stores, the way the peer runs it:
 * X3DH from the published bundle, signed envelopes both ways, each result committed (or dropped)
 * by the caller; out-of-order delivery, duplicates, a one-time prekey used once.
 */
import assert from "node:assert/strict";
import {
  newMessageId,
  openEnvelope,
  type PrekeyHeader,
  sealEnvelope,
} from "../../../src/crypto/envelope.ts";
import { PrekeyKind } from "../../../src/crypto/prekeys.ts";
import { generateX25519KeyPair, type KeyPairSource } from "../../../src/crypto/primitives.ts";
import { toHex } from "../../../src/crypto/bytes.ts";
import { safetyNumber } from "../../../src/crypto/safety_number.ts";
import {
  type Decrypted,
  type Encrypted,
  SessionManager,
  UndecryptableError,
} from "../../../src/peer/messaging/session_manager.ts";
import { OwnKeyStore } from "../../../src/peer/store/own_keys.ts";
import { OwnKemKeyStore } from "../../../src/peer/store/own_kem_keys.ts";
import type { PqxdhBundle } from "../../../src/crypto/pqxdh.ts";
import { RatchetSessionStore } from "../../../src/peer/store/ratchet_sessions.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openDatabase } from "../../../src/store/database.ts";
import { makeParty, makePqParty, type Party, text, untext } from "../../crypto/parties.ts";

/** The storage key the stores here seal keys and states with. */
const STORAGE_KEY = new Uint8Array(32).fill(7);

const NOW = 1_700_000_000_000;

/** One side: its keys, its stores (as in its profile) and its SessionManager. */
interface Side {
  readonly username: string;
  readonly party: Party;
  readonly ownKeys: OwnKeyStore;
  readonly kemKeys: OwnKemKeyStore;
  readonly sessions: RatchetSessionStore;
  readonly manager: SessionManager;
  /** What it publishes: X3DH's bundle, or with `pq` also its KEM prekeys (ids 5 and 77). */
  readonly bundle: PqxdhBundle;
}

async function side(
  username: string,
  { pq = false, ratchetKeys }: { pq?: boolean; ratchetKeys?: KeyPairSource } = {},
): Promise<Side> {
  const pqParty = pq ? await makePqParty() : undefined;
  const party = pqParty ?? await makeParty();
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const ownKeys = new OwnKeyStore(db, STORAGE_KEY);
  const kemKeys = new OwnKemKeyStore(db, STORAGE_KEY);
  const sessions = new RatchetSessionStore(db, STORAGE_KEY);
  if (pqParty) {
    const published = pqParty.pqBundle({ oneTimeEc: true, oneTimeKem: true });
    for (
      const [kind, pair, key] of [
        [PrekeyKind.KemLastResort, pqParty.kemLastResort, published.kemLastResortPrekey!],
        [PrekeyKind.KemOneTime, pqParty.kemOneTime, published.kemOneTimePrekey!],
      ] as const
    ) {
      kemKeys.add({ kind, id: key.id, pair, signature: key.signature, createdAt: NOW });
    }
  }
  for (
    const [kind, id, pair, key] of [
      [PrekeyKind.Signed, 7, party.signedPrekey, party.bundle.signedPrekey],
      [PrekeyKind.OneTime, 42, party.oneTimePrekey, party.bundle.oneTimePrekey!],
    ] as const
  ) {
    ownKeys.add({ kind, id, pair, signature: key.signature, createdAt: NOW });
  }
  const manager = new SessionManager(
    { identityKey: party.identityKey, identityDh: party.identityDh },
    ownKeys,
    sessions,
    kemKeys,
    ...(ratchetKeys ? [ratchetKeys] : []),
  );
  const bundle = pqParty?.pqBundle({ oneTimeEc: true, oneTimeKem: true }) ?? party.bundle;
  return { username, party, ownKeys, kemKeys, sessions, manager, bundle };
}

/** How `from` names `to`: the contact the session layer sees. */
function contact(to: Side) {
  return { username: to.username, identityKey: to.party.identityKey };
}

/** Encrypts and seals `message` from `from` to `to`; the session is committed unless `commit` is false. */
async function send(
  from: Side,
  to: Side,
  message: string,
  { commit = true, now = NOW, bundle = to.bundle } = {},
): Promise<{ bytes: Uint8Array; encrypted: Encrypted }> {
  const encrypted = await from.manager.encrypt(
    contact(to),
    text(message),
    () => Promise.resolve(bundle),
    now,
  );
  const bytes = await sealEnvelope(from.party.signer, {
    sender: from.party.identityKey,
    recipient: to.party.identityKey,
    messageId: newMessageId(),
    timestamp: now,
    ratchetHeader: encrypted.message.header,
    ciphertext: encrypted.message.ciphertext,
    ...(encrypted.prekey ? { prekey: encrypted.prekey } : {}),
  });
  if (commit) from.sessions.save(encrypted.session);
  return { bytes, encrypted };
}

/**
 * Checks and decrypts an envelope `me` got from `from`; commits the session (and deletes the
 * one-time prekey it used) unless `commit` is false, as the peer does in one transaction.
 */
async function receive(
  me: Side,
  from: Side,
  bytes: Uint8Array,
  { commit = true, now = NOW } = {},
): Promise<{ text: string; decrypted: Decrypted }> {
  const envelope = await openEnvelope(bytes, from.party.identityKey, me.party.identityKey);
  const decrypted = await me.manager.decrypt(contact(from), envelope, now);
  if (commit) {
    me.sessions.save(decrypted.session);
    if (decrypted.usedOneTimePrekeyId !== undefined) {
      me.ownKeys.delete(PrekeyKind.OneTime, decrypted.usedOneTimePrekeyId);
    }
    if (decrypted.usedKemOneTimePrekeyId !== undefined) {
      me.kemKeys.delete(PrekeyKind.KemOneTime, decrypted.usedKemOneTimePrekeyId);
    }
  }
  return { text: untext(decrypted.plaintext), decrypted };
}

Deno.test("SessionManager: X3DH from the bundle, then messages both ways, out of order", async () => {
  const alice = await side("alice");
  const bob = await side("bob");
  assert.equal(alice.manager.hasSession(contact(bob)), false);

  // Until bob answers, alice repeats the X3DH header on every message.
  const first = await send(alice, bob, "hi bob");
  const second = await send(alice, bob, "are you there?");
  assert.ok(alice.manager.hasSession(contact(bob)));
  const header: PrekeyHeader | undefined = first.encrypted.prekey;
  assert.equal(header?.signedPrekeyId, 7);
  assert.equal(header?.oneTimePrekeyId, 42);
  assert.deepEqual(second.encrypted.prekey, header);

  const late = await receive(bob, alice, second.bytes);
  assert.equal(late.text, "are you there?");
  assert.equal(late.decrypted.usedOneTimePrekeyId, 42);
  assert.equal(bob.ownKeys.get(PrekeyKind.OneTime, 42), undefined, "used once, then deleted");
  assert.equal((await receive(bob, alice, first.bytes)).text, "hi bob");
  assert.equal(bob.sessions.list("alice", alice.party.identityKey).length, 1, "one session");

  for (let round = 0; round < 3; round++) {
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await send(bob, alice, `bob ${round}.${i}`));
    assert.equal(replies[0]!.encrypted.prekey, undefined, "the responder sends no X3DH header");
    const more = await send(alice, bob, `alice ${round}`);
    for (const [i, reply] of [...replies.entries()].reverse()) {
      assert.equal((await receive(alice, bob, reply.bytes)).text, `bob ${round}.${i}`);
    }
    assert.equal((await receive(bob, alice, more.bytes)).text, `alice ${round}`);
  }
  // A reply proved bob has the session: alice stopped repeating the header.
  assert.equal((await send(alice, bob, "plain")).encrypted.prekey, undefined);
  assert.equal(alice.sessions.list("bob", bob.party.identityKey).length, 1);

  // Both see the same safety number.
  const a = { username: "alice", identityKey: alice.party.identityKey };
  const b = { username: "bob", identityKey: bob.party.identityKey };
  assert.equal(safetyNumber(a, b), safetyNumber(b, a));
});

Deno.test("SessionManager: each DH ratchet step takes its new key pair from the ratchet keys, once", async () => {
  const taken: Uint8Array[] = [];
  const ratchetKeys: KeyPairSource = async () => {
    const pair = await generateX25519KeyPair();
    taken.push(pair.publicKey);
    return pair;
  };
  const alice = await side("alice", { ratchetKeys });
  const bob = await side("bob", { ratchetKeys });
  const headerKey = (bytes: Uint8Array) => bytes.subarray(0, 32);
  await receive(bob, alice, (await send(alice, bob, "1")).bytes);
  assert.equal(taken.length, 1, "bob's DH step on alice's first message");
  const reply = await send(bob, alice, "2");
  assert.deepEqual(headerKey(reply.encrypted.message.header), taken[0], "bob sends under it");
  await receive(alice, bob, reply.bytes);
  assert.equal(taken.length, 2, "alice's DH step on bob's reply");
  const next = await send(alice, bob, "3");
  assert.deepEqual(headerKey(next.encrypted.message.header), taken[1]);
  await receive(bob, alice, next.bytes);
  assert.equal(taken.length, 3);
  assert.notDeepEqual(taken[2], taken[0], "never the same pair twice");
});

Deno.test("SessionManager: a duplicate does not decrypt once its message was committed", async () => {
  const alice = await side("alice");
  const bob = await side("bob");
  const opening = await send(alice, bob, "first");
  await receive(bob, alice, opening.bytes);
  await assert.rejects(receive(bob, alice, opening.bytes), UndecryptableError);

  const reply = await send(bob, alice, "reply");
  await receive(alice, bob, reply.bytes);
  await assert.rejects(receive(alice, bob, reply.bytes), UndecryptableError);
  const next = await send(alice, bob, "after the reply");
  assert.equal((await receive(bob, alice, next.bytes)).text, "after the reply");
  await assert.rejects(receive(bob, alice, next.bytes), UndecryptableError);
});

Deno.test("SessionManager: nothing is stored until the caller commits", async () => {
  const alice = await side("alice");
  const bob = await side("bob");
  const dropped = await send(alice, bob, "never sent", { commit: false });
  assert.equal(alice.manager.hasSession(contact(bob)), false, "encrypt wrote nothing");
  const opening = await send(alice, bob, "hello");
  assert.notDeepEqual(opening.encrypted.prekey, dropped.encrypted.prekey, "a fresh X3DH");

  const uncommitted = await receive(bob, alice, opening.bytes, { commit: false });
  assert.equal(uncommitted.text, "hello");
  assert.equal(bob.sessions.list("alice", alice.party.identityKey).length, 0);
  assert.ok(bob.ownKeys.get(PrekeyKind.OneTime, 42), "the one-time prekey is still there");
  assert.equal((await receive(bob, alice, opening.bytes)).text, "hello", "it decrypts again");
});

Deno.test("SessionManager: a one-time prekey serves one session; a second initiator is refused", async () => {
  const alice = await side("alice");
  const carol = await side("carol");
  const bob = await side("bob");
  await receive(bob, alice, (await send(alice, bob, "from alice")).bytes);
  const fromCarol = await send(carol, bob, "from carol"); // the same bundle, one-time prekey 42
  await assert.rejects(receive(bob, carol, fromCarol.bytes), /one-time prekey 42 was already used/);
  assert.equal(bob.sessions.list("carol", carol.party.identityKey).length, 0);
});

Deno.test("SessionManager: a message without a session, or from an unknown signed prekey, is undecryptable", async () => {
  const alice = await side("alice");
  const bob = await side("bob");
  const stranger = await side("stranger");
  await receive(stranger, alice, (await send(alice, stranger, "hi")).bytes);
  const reply = await send(stranger, alice, "reply");
  await receive(alice, stranger, reply.bytes);
  // Alice now sends without an X3DH header; bob, who has no session with her, cannot read it.
  const headerless = await sealEnvelope(alice.party.signer, {
    sender: alice.party.identityKey,
    recipient: bob.party.identityKey,
    messageId: newMessageId(),
    timestamp: NOW,
    ratchetHeader: reply.encrypted.message.header,
    ciphertext: reply.encrypted.message.ciphertext,
  });
  await assert.rejects(receive(bob, alice, headerless), /no session with alice/);

  bob.ownKeys.delete(PrekeyKind.Signed, 7);
  await assert.rejects(
    receive(bob, alice, (await send(alice, bob, "to an old prekey")).bytes),
    /signed prekey 7 is unknown or expired/,
  );
});

Deno.test("SessionManager.exclusive runs the tasks for one peer one at a time, in call order", async () => {
  const alice = await side("alice");
  const key = alice.party.identityKey;
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const first = alice.manager.exclusive(key, async () => {
    order.push("first starts");
    await gate;
    order.push("first ends");
    return 1;
  });
  const second = alice.manager.exclusive(key, () => {
    order.push("second");
    return Promise.resolve(2);
  });
  const other = alice.manager.exclusive(new Uint8Array(32), () => {
    order.push("another peer");
    return Promise.resolve(3);
  });
  assert.equal(await other, 3);
  release();
  assert.deepEqual([await first, await second], [1, 2]);
  assert.deepEqual(order, ["first starts", "another peer", "first ends", "second"]);
  const failed = alice.manager.exclusive(key, () => Promise.reject(new RangeError("boom")));
  await assert.rejects(failed, RangeError);
  assert.equal(await alice.manager.exclusive(key, () => Promise.resolve("next")), "next");
});

Deno.test("SessionManager: two sides that start sessions at once and keep sending at once converge on one", async () => {
  const alice = await side("alice");
  const bob = await side("bob");
  const used: [string, string][] = [];
  for (let round = 0; round < 4; round++) {
    const now = NOW + round * 1000;
    // Both send before either receives the other's message.
    const fromAlice = await send(alice, bob, `a${round}`, { now });
    const fromBob = await send(bob, alice, `b${round}`, { now });
    assert.equal(
      (await receive(bob, alice, fromAlice.bytes, { now: now + 500 })).text,
      `a${round}`,
    );
    assert.equal((await receive(alice, bob, fromBob.bytes, { now: now + 500 })).text, `b${round}`);
    used.push([
      toHex(fromAlice.encrypted.session.sessionId),
      toHex(fromBob.encrypted.session.sessionId),
    ]);
  }
  const [first, second, third, fourth] = used;
  assert.notEqual(first![0], first![1], "both started a session of their own");
  assert.notEqual(second![0], second![1], "each answered on the other's: they cross");
  assert.equal(third![0], third![1], "both now hold both, and send with the same one");
  assert.deepEqual(fourth, third, "and stay on it");
  assert.equal(third![0], [first![0], first![1]].sort()[0], "the one with the lower id");
});

Deno.test("SessionManager: PQXDH when the bundle has KEM prekeys; the one-time KEM prekey serves one session, then the last-resort one is used", async () => {
  const alice = await side("alice");
  const carol = await side("carol");
  const bob = await side("bob", { pq: true });

  const first = await send(alice, bob, "hi bob, post-quantum");
  assert.equal(first.encrypted.protocol, "pqxdh");
  assert.equal(first.encrypted.prekey?.pqxdh?.kemPrekeyId, 77);
  assert.equal(first.encrypted.prekey?.pqxdh?.kemPrekeyOneTime, true);
  assert.equal(first.encrypted.prekey?.pqxdh?.kemCiphertext.length, 1088);
  const again = await send(alice, bob, "again");
  assert.equal(again.encrypted.protocol, undefined, "only the call that starts a session says");
  assert.deepEqual(again.encrypted.prekey, first.encrypted.prekey, "repeated until a reply");

  const got = await receive(bob, alice, first.bytes);
  assert.equal(got.text, "hi bob, post-quantum");
  assert.equal(got.decrypted.protocol, "pqxdh");
  assert.equal(got.decrypted.usedKemOneTimePrekeyId, 77);
  assert.equal(bob.kemKeys.get(PrekeyKind.KemOneTime, 77), undefined, "deleted once used");
  assert.equal((await receive(bob, alice, again.bytes)).decrypted.protocol, undefined);
  const reply = await send(bob, alice, "hello alice");
  assert.equal(reply.encrypted.prekey, undefined);
  assert.equal((await receive(alice, bob, reply.bytes)).text, "hello alice");

  // carol got the same (now used) one-time KEM prekey from a stale bundle: refused, unchanged.
  const { oneTimePrekey: _ec, ...withoutEcOneTime } = bob.bundle;
  const stale = await send(carol, bob, "me too", { commit: false, bundle: withoutEcOneTime });
  await assert.rejects(
    receive(bob, carol, stale.bytes),
    (err: unknown) =>
      err instanceof UndecryptableError && /one-time KEM prekey 77/.test(err.message),
  );
  // With a bundle that has only the last-resort KEM prekey (the pool is empty), PQXDH still.
  const { kemOneTimePrekey: _, oneTimePrekey: __, ...drained } = bob.bundle;
  const encrypted = await carol.manager.encrypt(
    contact(bob),
    text("last resort"),
    () => Promise.resolve(drained),
    NOW,
  );
  assert.equal(encrypted.protocol, "pqxdh");
  assert.equal(encrypted.prekey?.pqxdh?.kemPrekeyOneTime, false);
  assert.equal(encrypted.prekey?.pqxdh?.kemPrekeyId, 5);
});

Deno.test("SessionManager: a bundle without KEM prekeys gives X3DH; a first message naming an unknown KEM prekey is undecryptable", async () => {
  const alice = await side("alice", { pq: true });
  const bob = await side("bob");
  const first = await send(alice, bob, "classic");
  assert.equal(first.encrypted.protocol, "x3dh");
  assert.equal(first.encrypted.prekey?.pqxdh, undefined);
  const got = await receive(bob, alice, first.bytes);
  assert.equal(got.decrypted.protocol, "x3dh");
  assert.equal(got.text, "classic");

  const carol = await side("carol", { pq: true });
  carol.kemKeys.delete(PrekeyKind.KemLastResort, 5); // expired past its grace period
  carol.kemKeys.delete(PrekeyKind.KemOneTime, 77);
  const late = await send(alice, carol, "late");
  assert.equal(late.encrypted.protocol, "pqxdh");
  await assert.rejects(receive(carol, alice, late.bytes), UndecryptableError);
  assert.deepEqual(carol.sessions.list("alice", alice.party.identityKey), []);
});
