/**
 * RatchetEncryptor against a second process on the same profile: two connections to one peer.db
 * file, each with its own SessionManager (so the in-memory lock does not hold the other off),
 * racing to encrypt the same next message. The session is saved by compare-and-set, so the one
 * that saves second starts again from the stored state: no message key is used twice.
 */
import assert from "node:assert/strict";
import { newMessageId, openEnvelope } from "../../../src/crypto/envelope.ts";
import { decodeHeader } from "../../../src/crypto/ratchet.ts";
import { toHex } from "../../../src/crypto/bytes.ts";
import type { Signer } from "../../../src/crypto/primitives.ts";
import type { ResolvedUser } from "../../../src/peer/directory.ts";
import { RatchetEncryptor } from "../../../src/peer/messaging/ratchet_encryptor.ts";
import { SessionManager } from "../../../src/peer/messaging/session_manager.ts";
import { ContactProtocolStore } from "../../../src/peer/store/contact_protocols.ts";
import { OutboxStore } from "../../../src/peer/store/outbox.ts";
import { OwnKemKeyStore } from "../../../src/peer/store/own_kem_keys.ts";
import { OwnKeyStore } from "../../../src/peer/store/own_keys.ts";
import { RatchetSessionStore } from "../../../src/peer/store/ratchet_sessions.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { peerIdOfKey } from "../../../src/peer/trust.ts";
import { openDatabase } from "../../../src/store/database.ts";
import { makeParty, type Party, text } from "../../crypto/parties.ts";

/** The storage key the stores here seal keys and states with. */
const STORAGE_KEY = new Uint8Array(32).fill(7);

const NOW = 1_700_000_000_000;

/** A signer whose signatures wait until `parties` signers are signing at once. */
function barrierSigners(signer: Signer, parties: number): Signer[] {
  let waiting = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => release = resolve);
  const barrier: Signer = {
    publicKey: signer.publicKey,
    async sign(data) {
      if (++waiting === parties) release();
      await all;
      return await signer.sign(data);
    },
  };
  return Array.from({ length: parties }, () => barrier);
}

/** One "process" of alice's profile: its own connection, stores and SessionManager. */
function process(path: string, alice: Party, bob: Party, signer: Signer) {
  const db = openDatabase(path, PEER_MIGRATIONS);
  const ratchetSessions = new RatchetSessionStore(db, STORAGE_KEY);
  const outbox = new OutboxStore(db);
  const sessions = new SessionManager(
    { identityKey: alice.identityKey, identityDh: alice.identityDh },
    new OwnKeyStore(db, STORAGE_KEY),
    ratchetSessions,
    new OwnKemKeyStore(db, STORAGE_KEY),
  );
  const encryptor = new RatchetEncryptor({
    db,
    sessions,
    ratchetSessions,
    outbox,
    protocols: new ContactProtocolStore(db),
    signer,
    bundles: { bundle: () => Promise.resolve(bob.bundle) },
    now: () => NOW,
    emit: () => {},
  });
  return { db, outbox, encryptor };
}

Deno.test("RatchetEncryptor: two processes racing for message n never encrypt under one key", async () => {
  const dir = await Deno.makeTempDir();
  const alice = await makeParty();
  const bob = await makeParty();
  const user: ResolvedUser = {
    username: "bob",
    identityKey: bob.identityKey,
    standing: "trusted",
    peerId: peerIdOfKey(bob.identityKey),
    addresses: [],
    expiresAt: NOW + 86_400_000,
  };
  const first = process(`${dir}/peer.db`, alice, bob, alice.signer);
  const [signerA, signerB] = barrierSigners(alice.signer, 2);
  const a = process(`${dir}/peer.db`, alice, bob, signerA!);
  const b = process(`${dir}/peer.db`, alice, bob, signerB!);
  try {
    const entry = (outbox: OutboxStore, body: string) => {
      const messageId = newMessageId();
      outbox.add({
        messageId,
        recipient: "bob",
        body: text(body),
        status: "pending",
        createdAt: NOW,
      });
      return outbox.get(messageId)!;
    };
    const opening = await first.encryptor.encrypt(entry(first.outbox, "0"), text("0"), user);
    // Both read the session after message 0 before either signs (the barrier) and saves.
    const raced = await Promise.all([
      a.encryptor.encrypt(entry(a.outbox, "1a"), text("1a"), user),
      b.encryptor.encrypt(entry(b.outbox, "1b"), text("1b"), user),
    ]);
    const keys = new Set<string>();
    for (const bytes of [opening, ...raced]) {
      const envelope = await openEnvelope(bytes, alice.identityKey, bob.identityKey);
      const header = decodeHeader(envelope.ratchetHeader);
      keys.add(`${toHex(header.publicKey)}/${header.n}`);
    }
    assert.equal(keys.size, 3, "each envelope has its own chain position (message key)");
  } finally {
    for (const p of [first, a, b]) p.db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
