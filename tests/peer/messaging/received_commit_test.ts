import assert from "node:assert/strict";
import { PrekeyKind } from "../../../src/crypto/prekeys.ts";
import { generateX25519KeyPair } from "../../../src/crypto/primitives.ts";
import { commitReceived } from "../../../src/peer/messaging/received_commit.ts";
import { HistoryStore } from "../../../src/peer/store/history.ts";
import { OwnKeyStore } from "../../../src/peer/store/own_keys.ts";
import { OwnKemKeyStore } from "../../../src/peer/store/own_kem_keys.ts";
import { ContactProtocolStore } from "../../../src/peer/store/contact_protocols.ts";
import { ContactStore } from "../../../src/peer/store/contacts.ts";
import { generateKemKeyPair } from "../../../src/crypto/kem.ts";
import { RatchetSessionStore } from "../../../src/peer/store/ratchet_sessions.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openDatabase } from "../../../src/store/database.ts";

/** The storage key the stores here seal keys and states with. */
const STORAGE_KEY = new Uint8Array(32).fill(7);

const NOW = 1_700_000_000_000;
const aliceKey = new Uint8Array(32).fill(1);

async function stores() {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const ownKeys = new OwnKeyStore(db, STORAGE_KEY);
  ownKeys.add({
    kind: PrekeyKind.OneTime,
    id: 42,
    pair: await generateX25519KeyPair(),
    signature: new Uint8Array(64),
    createdAt: NOW,
  });
  const kemKeys = new OwnKemKeyStore(db, STORAGE_KEY);
  kemKeys.add({
    kind: PrekeyKind.KemOneTime,
    id: 43,
    pair: generateKemKeyPair(),
    signature: new Uint8Array(64),
    createdAt: NOW,
  });
  new ContactStore(db).pin("alice", aliceKey, NOW);
  return {
    db,
    ownKeys,
    kemKeys,
    protocols: new ContactProtocolStore(db),
    ratchetSessions: new RatchetSessionStore(db, STORAGE_KEY),
    history: new HistoryStore(db),
  };
}

/** A first message from alice (PQXDH) that used our one-time prekey 42 and KEM prekey 43. */
const received = {
  senderKey: aliceKey,
  messageId: new Uint8Array(16).fill(9),
  from: "alice",
  now: NOW,
  decrypted: {
    plaintext: Uint8Array.of(1),
    usedOneTimePrekeyId: 42,
    usedKemOneTimePrekeyId: 43,
    protocol: "pqxdh" as const,
    session: {
      username: "", // not bound yet: the commit binds it to the certified sender
      sessionId: new Uint8Array(16).fill(5),
      identityKey: aliceKey,
      state: Uint8Array.of(1, 2, 3),
      updatedAt: NOW,
    },
  },
};

Deno.test("commitReceived: session (bound to the sender), used prekey, seen id and content in one go", async () => {
  const s = await stores();
  try {
    commitReceived(s, received, () => {
      s.history.add({
        messageId: received.messageId,
        peer: "alice",
        outgoing: false,
        sentAt: NOW,
        body: Uint8Array.of(7),
      }, NOW);
    });
    const [session] = s.ratchetSessions.list("alice", aliceKey);
    assert.deepEqual(session?.state, Uint8Array.of(1, 2, 3));
    assert.equal(s.ownKeys.get(PrekeyKind.OneTime, 42), undefined);
    assert.equal(s.kemKeys.get(PrekeyKind.KemOneTime, 43), undefined);
    assert.equal(s.protocols.get("alice").protocol, "pqxdh");
    assert.equal(s.history.seen(aliceKey, received.messageId), true);
    assert.equal(s.history.recent("alice", 10).length, 1);
  } finally {
    s.db.close();
  }
});

Deno.test("commitReceived: when the content's write fails nothing is committed (no Ack can follow)", async () => {
  const s = await stores();
  try {
    assert.throws(
      () =>
        commitReceived(s, received, () => {
          throw new RangeError("the content cannot be stored");
        }),
      RangeError,
    );
    assert.deepEqual(s.ratchetSessions.list("alice", aliceKey), []);
    assert.notEqual(s.ownKeys.get(PrekeyKind.OneTime, 42), undefined);
    assert.notEqual(s.kemKeys.get(PrekeyKind.KemOneTime, 43), undefined);
    assert.equal(s.protocols.get("alice").protocol, undefined);
    assert.equal(s.history.seen(aliceKey, received.messageId), false);
  } finally {
    s.db.close();
  }
});

Deno.test("commitReceived: a new X3DH session from a contact that had PQXDH before is a downgrade", async () => {
  const s = await stores();
  try {
    assert.deepEqual(commitReceived(s, received), { downgraded: false });
    const x3dh = {
      ...received,
      messageId: new Uint8Array(16).fill(8),
      decrypted: {
        plaintext: Uint8Array.of(1),
        protocol: "x3dh" as const,
        // A new session: its own id (the same one again would be a stale insert).
        session: { ...received.decrypted.session, sessionId: new Uint8Array(16).fill(6) },
      },
    };
    assert.deepEqual(commitReceived(s, x3dh), { downgraded: true });
    assert.deepEqual(s.protocols.get("alice"), { protocol: "x3dh", pqSeen: true });
  } finally {
    s.db.close();
  }
});
