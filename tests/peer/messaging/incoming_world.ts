/**
 * Incoming on in-memory SQLite for the incoming tests: alice's real encryptor seals envelopes for
 * bob, bob's Incoming judges, decrypts and commits them; the directory and alice's outbox are fakes.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { toHex } from "../../../src/crypto/bytes.ts";
import { newMessageId } from "../../../src/crypto/envelope.ts";
import { PrekeyKind, signPrekey } from "../../../src/crypto/prekeys.ts";
import { generateX25519KeyPair, signerFromPrivateKey } from "../../../src/crypto/primitives.ts";
import { logger } from "../../../src/log.ts";
import type { PeerEvent } from "../../../src/peer/events.ts";
import { Incoming } from "../../../src/peer/messaging/incoming.ts";
import { RatchetEncryptor } from "../../../src/peer/messaging/ratchet_encryptor.ts";
import { SessionManager } from "../../../src/peer/messaging/session_manager.ts";
import type { ContentHandler } from "../../../src/peer/service.ts";
import { ContactStore } from "../../../src/peer/store/contacts.ts";
import { HistoryStore } from "../../../src/peer/store/history.ts";
import { OutboxStore } from "../../../src/peer/store/outbox.ts";
import { type OwnKey, OwnKeyStore, publicForm } from "../../../src/peer/store/own_keys.ts";
import { OwnKemKeyStore, publicKemForm } from "../../../src/peer/store/own_kem_keys.ts";
import { generateKemKeyPair } from "../../../src/crypto/kem.ts";
import { ContactProtocolStore } from "../../../src/peer/store/contact_protocols.ts";
import { RatchetSessionStore } from "../../../src/peer/store/ratchet_sessions.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { type KeyStanding, peerIdOfKey } from "../../../src/peer/trust.ts";
import { Content } from "../../../src/proto/chat.ts";
import type { SignedKey } from "../../../src/proto/services.ts";
import { openDatabase } from "../../../src/store/database.ts";

/** The storage key the stores here seal keys and states with. */
const STORAGE_KEY = new Uint8Array(32).fill(2);

export const NOW = 1_700_000_000_000;

/** One side's stores on its own in-memory database. */
function profileStores() {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  return {
    db,
    storageKey: STORAGE_KEY,
    outbox: new OutboxStore(db),
    history: new HistoryStore(db),
    contacts: new ContactStore(db),
    ratchetSessions: new RatchetSessionStore(db, STORAGE_KEY),
    ownKeys: new OwnKeyStore(db, STORAGE_KEY),
    kemKeys: new OwnKemKeyStore(db, STORAGE_KEY),
    protocols: new ContactProtocolStore(db),
  };
}

async function ownKey(identity: PrivateKey, kind: PrekeyKind, id: number): Promise<OwnKey> {
  const pair = await generateX25519KeyPair();
  const { signature } = await signPrekey(kind, id, pair.publicKey, identity);
  return { kind, id, pair, signature, createdAt: NOW };
}

export async function setup(
  options: { standing?: KeyStanding; handlers?: [string, ContentHandler][] } = {},
) {
  const bobKey = await generateKeyPair("Ed25519");
  const bob = profileStores();
  const [identityDh, signed, oneTime] = [
    await ownKey(bobKey, PrekeyKind.IdentityDh, 0),
    await ownKey(bobKey, PrekeyKind.Signed, 1),
    await ownKey(bobKey, PrekeyKind.OneTime, 1),
  ];
  for (const key of [identityDh, signed, oneTime]) bob.ownKeys.add(key);
  // Bob publishes PQXDH's KEM prekeys too, as every current peer does.
  const kemPrekeys: SignedKey[] = [];
  for (const kind of [PrekeyKind.KemLastResort, PrekeyKind.KemOneTime] as const) {
    const pair = generateKemKeyPair();
    const { signature } = await signPrekey(kind, 1, pair.publicKey, bobKey);
    const key = { kind, id: 1, pair, signature, createdAt: NOW };
    bob.kemKeys.add(key);
    kemPrekeys.push(publicKemForm(key));
  }
  const bobId = bobKey.publicKey.raw;
  /** The identity keys the fake rendezvous certifies, by username. */
  const certified = new Map<string, Uint8Array>();
  /**
   * A sender with its own profile and sessions; its first message uses bob's one-time prekey
   * when it is still there.
   */
  const sender = async (name: string) => {
    const key = await generateKeyPair("Ed25519");
    const stores = profileStores();
    const signer = signerFromPrivateKey(key);
    certified.set(name, signer.publicKey);
    const encryptor = new RatchetEncryptor({
      db: stores.db,
      sessions: new SessionManager(
        { identityKey: signer.publicKey, identityDh: await generateX25519KeyPair() },
        stores.ownKeys,
        stores.ratchetSessions,
        stores.kemKeys,
      ),
      ratchetSessions: stores.ratchetSessions,
      outbox: stores.outbox,
      protocols: stores.protocols,
      signer,
      bundles: {
        bundle: () =>
          Promise.resolve({
            identityKey: bobId,
            identityDhKey: publicForm(identityDh),
            signedPrekey: publicForm(signed),
            ...(bob.ownKeys.get(PrekeyKind.OneTime, oneTime.id)
              ? { oneTimePrekey: publicForm(oneTime) }
              : {}),
            kemLastResortPrekey: kemPrekeys[0]!,
            ...(bob.kemKeys.get(PrekeyKind.KemOneTime, 1)
              ? { kemOneTimePrekey: kemPrekeys[1]! }
              : {}),
          }),
      },
      now: () => NOW,
      emit: () => {},
    });
    /** Bob as the sender's directory resolves him. */
    const bobUser = {
      username: "bob",
      identityKey: bobId,
      standing: "trusted" as const,
      expiresAt: NOW + 86_400_000,
      peerId: peerIdOfKey(bobId),
      addresses: [],
    };
    /** Writes `content` to the sender's outbox as message `messageId`; returns the entry. */
    const queued = (messageId: Uint8Array, content: Uint8Array) => {
      stores.outbox.add({
        messageId,
        recipient: "bob",
        body: content,
        status: "pending",
        createdAt: NOW,
      });
      return { entry: stores.outbox.get(messageId)!, content };
    };
    /**
     * Seals `text` (of `kind`) for bob, as the sender's outbox would; `messageId` when given;
     * claiming to be sent at `sentAt` (the sender's clock).
     */
    const seal = async (
      text: string,
      kind = "",
      payload = new Uint8Array(0),
      messageId = newMessageId(),
      sentAt = NOW,
    ) => {
      const content = Content.encode({ from: name, text, sentAt: BigInt(sentAt), kind, payload });
      const { entry } = queued(messageId, content);
      return { id: toHex(messageId), envelope: await encryptor.encrypt(entry, content, bobUser) };
    };
    /** Seals `texts` for bob together, as one flush does (encryptAll). */
    const sealAll = async (texts: readonly string[]) => {
      const items = texts.map((text) =>
        queued(newMessageId(), Content.encode({ from: name, text, sentAt: BigInt(NOW) }))
      );
      return await encryptor.encryptAll(items, bobUser);
    };
    return {
      peer: peerIdFromPrivateKey(key),
      publicKey: signer.publicKey,
      seal,
      sealAll,
      db: stores.db,
      outbox: stores.outbox,
    };
  };
  const alice = await sender("alice");
  const certifications: string[] = [];
  const events: PeerEvent[] = [];
  const reports: string[] = [];
  const incoming = new Incoming({
    username: "bob",
    identityKey: bobId,
    stores: bob,
    sessions: new SessionManager(
      { identityKey: bobId, identityDh: identityDh.pair },
      bob.ownKeys,
      bob.ratchetSessions,
      bob.kemKeys,
    ),
    certifier: {
      resolve: (username) => {
        certifications.push(username);
        const standing = options.standing ?? "new";
        const identityKey = certified.get(username)!;
        // As Trust does: a first key is pinned.
        if (standing === "new") bob.contacts.pin(username, identityKey, NOW);
        return Promise.resolve({ identityKey, standing, expiresAt: NOW + 86_400_000 });
      },
    },
    reports: {
      delivered: (id) => reports.push(`delivered ${id}`),
      failed: (id, _to, reason) => reports.push(`failed ${id}: ${reason}`),
      keyChanged: (username, blocked) => reports.push(`key-changed ${username} ${blocked}`),
    },
    handlers: new Map(options.handlers ?? []),
    now: () => NOW,
    emit: (event) => events.push(event),
    log: logger("test"),
  });
  const alicePeer = alice.peer;
  const seal = alice.seal;
  const sealAll = alice.sealAll;
  return {
    incoming,
    sender,
    alicePeer,
    aliceKey: alice.publicKey,
    seal,
    sealAll,
    aliceDb: alice.db,
    aliceOutbox: alice.outbox,
    bob,
    events,
    reports,
    certifications,
    oneTime,
  };
}
