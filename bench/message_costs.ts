/**
 * Where a chat message's time goes, step by step, without the network: the same calls the peer
 * makes to send one message (src/peer/outgoing.ts) and to receive it and apply its Ack
 * (incoming.ts), on real SQLite profiles (WAL, in temporary directories) and a real Double
 * Ratchet session, one message at a time. Each step's mean is a lower bound of its share of the
 * full stack (no contention, warm caches); the sums bound a peer's message rate if it were
 * CPU-bound on one thread.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { join } from "node:path";
import { openAtRest, sealAtRest } from "../src/crypto/at_rest.ts";
import { newMessageId, openEnvelope, sealEnvelope } from "../src/crypto/envelope.ts";
import {
  generateX25519KeyPair,
  randomBytes,
  signerFromPrivateKey,
  x25519,
} from "../src/crypto/primitives.ts";
import {
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetInitAlice,
  ratchetInitBob,
} from "../src/crypto/ratchet.ts";
import { deserializeRatchetState, serializeRatchetState } from "../src/crypto/ratchet_state.ts";
import { bodyContext } from "../src/peer/store/body_context.ts";
import { Ack, ChatFrame, Content } from "../src/proto/chat.ts";
import { ContactStore } from "../src/peer/store/contacts.ts";
import { openDatabase, transaction } from "../src/store/database.ts";
import { HistoryStore } from "../src/peer/store/history.ts";
import { OutboxStore } from "../src/peer/store/outbox.ts";
import { PEER_MIGRATIONS } from "../src/peer/store/schema.ts";
import { RatchetSessionStore, type StoredSession } from "../src/peer/store/ratchet_sessions.ts";

/** One step's mean cost. */
export interface StepCost {
  readonly side: "sender" | "receiver";
  readonly step: string;
  readonly microseconds: number;
}

/** Which module each step's work lives in, for the report's labels. */
const STEPS = {
  compose: "write: Content.encode + 2× sealAtRest (AES-GCM, outbox + history bodies)",
  writeTx: "write: SQLite txn (outbox.add + history.add)",
  undelivered: "flush: outbox.undelivered (SELECT)",
  openBody: "encrypt: openAtRest outbox body (AES-GCM)",
  loadSession: "encrypt: sessions.list (opens the sealed state) + deserialize ratchet state",
  ratchetEncrypt: "encrypt: ratchetEncrypt (2× HMAC, HKDF, AES-GCM) + serialize",
  seal: "encrypt: sealEnvelope (protobuf + Ed25519 sign)",
  encryptTx: "encrypt: SQLite txn (sessions.save, sealing the state + outbox.setEnvelope)",
  frame: "ChatFrame.encode",
  ack: "ack in: outbox.get + contacts.get + outbox.setStatus (autocommit)",
  open: "ChatFrame.decode + openEnvelope (re-encode check, Ed25519 verify)",
  lookup: "history.seen + contacts.byKey + sessions.list (opens state) + deserialize",
  ratchetDecrypt: "ratchetDecrypt (2× HMAC, HKDF, AES-GCM) + serialize",
  store: "Content.decode + contacts.get + sealAtRest history body",
  receiveTx: "SQLite txn (sessions.save, sealing + DELETE extra + markSeen + history.add)",
  ackOut: "Ack ChatFrame.encode",
} as const;

/** Also measured: the DH ratchet step a reply adds (once per change of speaker). */
export const DH_STEP = "DH ratchet step (X25519 keygen + 2× X25519), once per turn";

/** Sends `count` messages alice → bob through every step, after `warmup` untimed ones. */
export async function benchMessageCosts(count: number, warmup = 50): Promise<StepCost[]> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-bench-costs-" });
  const aliceDb = openDatabase(join(dir, "alice.db"), PEER_MIGRATIONS);
  const bobDb = openDatabase(join(dir, "bob.db"), PEER_MIGRATIONS);
  try {
    const totals = new Map<string, number>();
    const now = Date.now();
    const aliceKey = await generateKeyPair("Ed25519");
    const bobKey = await generateKeyPair("Ed25519");
    const signer = signerFromPrivateKey(aliceKey);
    const aliceId = aliceKey.publicKey.raw;
    const bobId = bobKey.publicKey.raw;
    const storageKey = randomBytes(32);
    const a = {
      outbox: new OutboxStore(aliceDb),
      history: new HistoryStore(aliceDb),
      contacts: new ContactStore(aliceDb),
      sessions: new RatchetSessionStore(aliceDb, storageKey),
    };
    const b = {
      history: new HistoryStore(bobDb),
      contacts: new ContactStore(bobDb),
      sessions: new RatchetSessionStore(bobDb, storageKey),
    };
    a.contacts.pin("bob", bobId, now);
    b.contacts.pin("alice", aliceId, now);
    const shared = randomBytes(32);
    const ad = randomBytes(64);
    const bobPrekey = await generateX25519KeyPair();
    const sessionId = randomBytes(16);
    const session = (username: string, identityKey: Uint8Array, state: Uint8Array) => ({
      username,
      sessionId,
      identityKey,
      state,
      updatedAt: now,
    });
    a.sessions.save(session(
      "bob",
      bobId,
      serializeRatchetState(await ratchetInitAlice(shared, bobPrekey.publicKey, ad)),
    ));
    b.sessions.save(session(
      "alice",
      aliceId,
      serializeRatchetState(ratchetInitBob(shared, bobPrekey, ad)),
    ));

    let t = 0;
    const timed = async <T>(name: string, counted: boolean, work: () => T | Promise<T>) => {
      t = performance.now();
      const result = await work();
      if (counted) totals.set(name, (totals.get(name) ?? 0) + performance.now() - t);
      return result;
    };
    for (let i = 0; i < warmup + count; i++) {
      const on = i >= warmup;
      const messageId = newMessageId();
      const sentAt = now + i;
      // Sender: Outgoing.write
      const [content, outboxBody, historyBody] = await timed(STEPS.compose, on, async () => {
        const content = Content.encode({
          from: "alice",
          text: `bulk ${i}`,
          sentAt: BigInt(sentAt),
        });
        return [
          content,
          await sealAtRest(storageKey, content, bodyContext("outbox", messageId)),
          await sealAtRest(storageKey, content, bodyContext("history", messageId)),
        ] as const;
      });
      void content;
      await timed(STEPS.writeTx, on, () =>
        transaction(aliceDb, () => {
          a.outbox.add({
            messageId,
            recipient: "bob",
            body: outboxBody,
            status: "pending",
            createdAt: sentAt,
          });
          a.history.add(
            { messageId, peer: "bob", outgoing: true, sentAt, body: historyBody },
            sentAt,
          );
        }));
      // Sender: Outgoing.#flush and #encrypt
      const entry = await timed(STEPS.undelivered, on, () => a.outbox.undelivered("bob")[0]!);
      const plaintext = await timed(
        STEPS.openBody,
        on,
        () => openAtRest(storageKey, entry.body, bodyContext("outbox", entry.messageId)),
      );
      const stored = await timed(STEPS.loadSession, on, () => {
        const stored = a.sessions.list("bob", bobId)[0]!;
        return { stored, state: deserializeRatchetState(stored.state) };
      });
      const encrypted = await timed(STEPS.ratchetEncrypt, on, async () => {
        const result = await ratchetEncrypt(stored.state, plaintext);
        return {
          ...result,
          session: { ...stored.stored, state: serializeRatchetState(result.state) },
        };
      });
      const envelope = await timed(STEPS.seal, on, () =>
        sealEnvelope(signer, {
          sender: aliceId,
          recipient: bobId,
          messageId,
          timestamp: sentAt,
          ratchetHeader: encrypted.message.header,
          ciphertext: encrypted.message.ciphertext,
        }));
      await timed(STEPS.encryptTx, on, () =>
        transaction(aliceDb, () => {
          a.sessions.save(encrypted.session);
          a.outbox.setEnvelope(messageId, envelope, sentAt);
        }));
      const frame = await timed(STEPS.frame, on, () => ChatFrame.encode({ envelope }));
      // Receiver: ChatLinks.#read, Incoming.#accept and #store
      const opened = await timed(
        STEPS.open,
        on,
        () => openEnvelope(ChatFrame.decode(frame).envelope!, aliceId, bobId),
      );
      const bobSession = await timed(STEPS.lookup, on, () => {
        if (b.history.seen(opened.sender, opened.messageId)) throw new Error("duplicate");
        b.contacts.byKey(aliceId);
        const s = b.sessions.list("alice", aliceId)[0]!;
        return { stored: s, state: deserializeRatchetState(s.state) };
      });
      const decrypted = await timed(STEPS.ratchetDecrypt, on, async () => {
        const result = await ratchetDecrypt(
          bobSession.state,
          { header: opened.ratchetHeader, ciphertext: opened.ciphertext },
          { now: sentAt },
        );
        return {
          ...result,
          session: { ...bobSession.stored, state: serializeRatchetState(result.state) },
        };
      });
      const body = await timed(STEPS.store, on, async () => {
        Content.decode(decrypted.plaintext);
        b.contacts.get("alice");
        return await sealAtRest(
          storageKey,
          decrypted.plaintext,
          bodyContext("history", opened.messageId),
        );
      });
      await timed(STEPS.receiveTx, on, () =>
        transaction(bobDb, () => {
          b.sessions.save(decrypted.session as StoredSession);
          b.history.markSeen(opened.sender, opened.messageId, sentAt);
          b.history.add({
            messageId: opened.messageId,
            peer: "alice",
            outgoing: false,
            sentAt,
            body,
          }, sentAt);
        }));
      const ackFrame = await timed(STEPS.ackOut, on, () =>
        ChatFrame.encode({
          envelope: new Uint8Array(0),
          ack: { messageId: opened.messageId, result: Ack.Result.DELIVERED, reason: "" },
        }));
      // Sender: Incoming.onAck
      await timed(STEPS.ack, on, () => {
        const ack = ChatFrame.decode(ackFrame).ack!;
        const entry = a.outbox.get(ack.messageId);
        a.contacts.get(entry!.recipient);
        a.outbox.setStatus(ack.messageId, "delivered", sentAt);
      });
    }
    const dh = await meanMicroseconds(count, async () => {
      const pair = await generateX25519KeyPair();
      await x25519(pair.privateKey, bobPrekey.publicKey);
      await x25519(bobPrekey.privateKey, pair.publicKey);
    });
    const receiverSteps = new Set<string>([
      STEPS.open,
      STEPS.lookup,
      STEPS.ratchetDecrypt,
      STEPS.store,
      STEPS.receiveTx,
      STEPS.ackOut,
    ]);
    return [
      ...Object.values(STEPS).map((step): StepCost => ({
        side: receiverSteps.has(step) ? "receiver" : "sender",
        step,
        microseconds: 1000 * (totals.get(step) ?? 0) / count,
      })),
      { side: "sender", step: DH_STEP, microseconds: dh },
    ];
  } finally {
    aliceDb.close();
    bobDb.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Mean microseconds of `work` over `count` runs, one at a time. */
export async function meanMicroseconds(
  count: number,
  work: () => Promise<unknown> | unknown,
): Promise<number> {
  await work();
  const start = performance.now();
  for (let i = 0; i < count; i++) await work();
  return 1000 * (performance.now() - start) / count;
}
