/**
 * Where a chat message's time goes, step by step, without the network: the same calls the peer
 * makes to send messages (src/peer/messaging/outgoing.ts, ratchet_encryptor.ts, chat_links.ts)
 * and to receive them and apply their Acks (incoming.ts, received_commit.ts), on real SQLite
 * profiles (WAL, in temporary directories) and a real Double Ratchet session, `batch` messages
 * per chat frame: a frame's messages are committed by the receiver in one transaction, answered
 * by one frame of Acks, which the sender applies in one transaction. With `batch` 1 that is one
 * message at a time (a round trip). Each step's mean is a lower bound of its share of the full
 * stack (no contention, warm caches); the sums bound a peer's message rate if it were CPU-bound
 * on one thread. The pure primitives (sign, verify) are also timed alone, over as many runs.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { join } from "node:path";
import { sealAtRest } from "../src/crypto/at_rest.ts";
import { newMessageId, openEnvelope, sealEnvelope } from "../src/crypto/envelope.ts";
import {
  ed25519Verify,
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
import { sealOutgoingBody } from "../src/peer/store/outbox_body.ts";
import { CHAT_FRAME_VERSION } from "../src/protocol/limits.ts";

/** What a step's time is spent on, for the report's summary by kind of work. */
export type CostKind =
  | "sign"
  | "verify"
  | "ratchet encrypt"
  | "ratchet decrypt"
  | "at-rest sealing"
  | "SQLite writes"
  | "SQLite reads"
  | "framing (protobuf)";

/** One step's mean cost per message. */
export interface StepCost {
  readonly side: "sender" | "receiver";
  readonly step: string;
  readonly kind: CostKind;
  readonly microseconds: number;
}

interface Step {
  readonly label: string;
  readonly side: StepCost["side"];
  readonly kind: CostKind;
}

/** Which module each step's work lives in, for the report's labels. */
const STEPS = {
  compose: {
    label: "write: Content.encode + sealAtRest once (AES-GCM, outbox and history share it)",
    side: "sender",
    kind: "at-rest sealing",
  },
  writeTx: {
    label: "write: SQLite txn (outbox.add + history.add)",
    side: "sender",
    kind: "SQLite writes",
  },
  undelivered: {
    label: "flush: outbox.undelivered (SELECT), once per flush",
    side: "sender",
    kind: "SQLite reads",
  },
  loadSession: {
    label:
      "encrypt: sessions.list (opens the sealed state) + deserialize ratchet state, once per frame",
    side: "sender",
    kind: "SQLite reads",
  },
  ratchetEncrypt: {
    label: "encrypt: ratchetEncrypt (2× HMAC, HKDF, AES-GCM) + serialize",
    side: "sender",
    kind: "ratchet encrypt",
  },
  seal: {
    label: "encrypt: sealEnvelope (protobuf + Ed25519 sign)",
    side: "sender",
    kind: "sign",
  },
  encryptTx: {
    label: "encrypt: one txn per frame (sessions.save once + outbox.setEnvelope each)",
    side: "sender",
    kind: "SQLite writes",
  },
  frame: { label: "ChatFrame.encode, once per frame", side: "sender", kind: "framing (protobuf)" },
  ackFrame: {
    label: "ack in: ChatFrame.decode of the frame of Acks",
    side: "sender",
    kind: "framing (protobuf)",
  },
  ack: {
    label: "ack in: one txn per frame (outbox.stateOf + outbox.setStatus each, contacts.get once)",
    side: "sender",
    kind: "SQLite writes",
  },
  unframe: {
    label: "ChatFrame.decode, once per frame",
    side: "receiver",
    kind: "framing (protobuf)",
  },
  open: {
    label: "openEnvelope (decode, re-encode check, Ed25519 verify)",
    side: "receiver",
    kind: "verify",
  },
  lookup: {
    label: "history.seen + contacts.byKey each, sessions.list + deserialize once per frame",
    side: "receiver",
    kind: "SQLite reads",
  },
  ratchetDecrypt: {
    label: "ratchetDecrypt (2× HMAC, HKDF, AES-GCM) + serialize",
    side: "receiver",
    kind: "ratchet decrypt",
  },
  store: {
    label: "Content.decode + contacts.get + sealAtRest history body",
    side: "receiver",
    kind: "at-rest sealing",
  },
  receiveTx: {
    label: "one txn per frame (sessions.save once + markSeen + history.add each)",
    side: "receiver",
    kind: "SQLite writes",
  },
  ackOut: {
    label: "ChatFrame.encode of the frame of Acks",
    side: "receiver",
    kind: "framing (protobuf)",
  },
} as const satisfies Record<string, Step>;

/** Also measured: the DH ratchet step a reply adds (once per change of speaker). */
export const DH_STEP = "DH ratchet step (X25519 keygen + 2× X25519), once per turn";

/** The pure primitives alone, per call: what sign and verify cost without the steps around them. */
export interface PrimitiveCosts {
  readonly signMicroseconds: number;
  readonly verifyMicroseconds: number;
}

/**
 * Sends `count` messages alice → bob through every step, `batch` per chat frame, after `warmup`
 * untimed ones.
 */
export async function benchMessageCosts(
  count: number,
  batch: number,
  warmup = 50,
): Promise<{ steps: StepCost[]; primitives: PrimitiveCosts }> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-bench-costs-" });
  const aliceDb = openDatabase(join(dir, "alice.db"), PEER_MIGRATIONS);
  const bobDb = openDatabase(join(dir, "bob.db"), PEER_MIGRATIONS);
  try {
    const totals = new Map<Step, number>();
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

    let counted = false;
    const timed = async <T>(step: Step, work: () => T | Promise<T>) => {
      const t = performance.now();
      const result = await work();
      if (counted) totals.set(step, (totals.get(step) ?? 0) + performance.now() - t);
      return result;
    };
    let timedMessages = 0;
    const frames = Math.ceil((warmup + count) / batch);
    for (let f = 0; f < frames; f++) {
      counted = f * batch >= warmup;
      if (counted) timedMessages += batch;
      // Sender: Outgoing.write, one call per message
      const written: { messageId: Uint8Array; content: Uint8Array; sentAt: number }[] = [];
      for (let k = 0; k < batch; k++) {
        const messageId = newMessageId();
        const sentAt = now + f * batch + k;
        const [content, body] = await timed(STEPS.compose, async () => {
          const content = Content.encode({
            from: "alice",
            text: `bulk ${f}.${k}`,
            sentAt: BigInt(sentAt),
          });
          return [content, await sealOutgoingBody(storageKey, content, messageId)] as const;
        });
        await timed(STEPS.writeTx, () =>
          transaction(aliceDb, () => {
            a.outbox.add({
              messageId,
              recipient: "bob",
              body,
              status: "pending",
              createdAt: sentAt,
            });
            a.history.add({ messageId, peer: "bob", outgoing: true, sentAt, body }, sentAt);
          }));
        written.push({ messageId, content, sentAt });
      }
      // Sender: Outgoing.#flush (the content is still in memory) and RatchetEncryptor.encrypt
      await timed(STEPS.undelivered, () => a.outbox.undelivered("bob"));
      const envelopes: Uint8Array[] = [];
      const loaded = await timed(STEPS.loadSession, () => {
        const stored = a.sessions.list("bob", bobId)[0]!;
        return { stored, state: deserializeRatchetState(stored.state) };
      });
      let state = loaded.state;
      for (const { messageId, content, sentAt } of written) {
        const encrypted = await timed(STEPS.ratchetEncrypt, async () => {
          const result = await ratchetEncrypt(state, content);
          return { ...result, serialized: serializeRatchetState(result.state) };
        });
        state = encrypted.state;
        envelopes.push(
          await timed(STEPS.seal, () =>
            sealEnvelope(signer, {
              sender: aliceId,
              recipient: bobId,
              messageId,
              timestamp: sentAt,
              ratchetHeader: encrypted.message.header,
              ciphertext: encrypted.message.ciphertext,
            })),
        );
      }
      await timed(STEPS.encryptTx, () =>
        transaction(aliceDb, () => {
          a.sessions.save({ ...loaded.stored, state: serializeRatchetState(state) });
          for (const [k, { messageId, sentAt }] of written.entries()) {
            a.outbox.setEnvelope(messageId, envelopes[k]!, sentAt);
          }
        }));
      const frame = await timed(
        STEPS.frame,
        () => ChatFrame.encode({ version: CHAT_FRAME_VERSION, envelopes, acks: [] }),
      );
      // Receiver: ChatLinks.#read, Incoming.onEnvelopes, commitAllReceived
      const received = await timed(STEPS.unframe, () => ChatFrame.decode(frame).envelopes);
      const unsaved: {
        stored: StoredSession;
        state: ReturnType<typeof deserializeRatchetState>;
      }[] = [];
      const commits: { messageId: Uint8Array; sentAt: number; body: Uint8Array }[] = [];
      let latest: StoredSession | undefined;
      for (const bytes of received) {
        const opened = await timed(STEPS.open, () => openEnvelope(bytes, aliceId, bobId));
        const bobSession = await timed(STEPS.lookup, () => {
          if (b.history.seen(opened.sender, opened.messageId)) throw new Error("duplicate");
          b.contacts.byKey(aliceId);
          // The frame's first message reads and opens the stored sessions; the rest reuse them.
          const latest = unsaved.at(-1);
          if (latest) return latest;
          const s = b.sessions.list("alice", aliceId)[0]!;
          return { stored: s, state: deserializeRatchetState(s.state) };
        });
        const decrypted = await timed(STEPS.ratchetDecrypt, async () => {
          const result = await ratchetDecrypt(
            bobSession.state,
            { header: opened.ratchetHeader, ciphertext: opened.ciphertext },
            { now: opened.timestamp },
          );
          return {
            ...result,
            session: { ...bobSession.stored, state: serializeRatchetState(result.state) },
          };
        });
        unsaved.push({ stored: decrypted.session, state: decrypted.state });
        latest = decrypted.session;
        const body = await timed(STEPS.store, async () => {
          Content.decode(decrypted.plaintext);
          b.contacts.get("alice");
          return await sealAtRest(
            storageKey,
            decrypted.plaintext,
            bodyContext("history", opened.messageId),
          );
        });
        commits.push({ messageId: opened.messageId, sentAt: opened.timestamp, body });
      }
      await timed(STEPS.receiveTx, () =>
        transaction(bobDb, () => {
          b.sessions.save(latest!);
          for (const { messageId, sentAt, body } of commits) {
            b.history.markSeen(aliceId, messageId, sentAt);
            b.history.add({ messageId, peer: "alice", outgoing: false, sentAt, body }, sentAt);
          }
        }));
      const ackFrame = await timed(STEPS.ackOut, () =>
        ChatFrame.encode({
          version: CHAT_FRAME_VERSION,
          envelopes: [],
          acks: commits.map(({ messageId }) => ({
            messageId,
            result: Ack.Result.DELIVERED,
            reason: "",
          })),
        }));
      // Sender: Incoming.onAcks
      const acks = await timed(STEPS.ackFrame, () => ChatFrame.decode(ackFrame).acks);
      await timed(STEPS.ack, () =>
        transaction(aliceDb, () => {
          const contacts = new Map<string, unknown>();
          for (const ack of acks) {
            const entry = a.outbox.stateOf(ack.messageId)!;
            if (!contacts.has(entry.recipient)) {
              contacts.set(entry.recipient, a.contacts.get(entry.recipient));
            }
            a.outbox.setStatus(ack.messageId, "delivered", now);
          }
        }));
    }
    const data = randomBytes(200); // about an envelope body's size
    const signMicroseconds = await meanMicroseconds(count, () => signer.sign(data));
    const signature = await signer.sign(data);
    const verifyMicroseconds = await meanMicroseconds(
      count,
      () => ed25519Verify(aliceId, data, signature),
    );
    const dh = await meanMicroseconds(count, async () => {
      const pair = await generateX25519KeyPair();
      await x25519(pair.privateKey, bobPrekey.publicKey);
      await x25519(bobPrekey.privateKey, pair.publicKey);
    });
    const perMessage = (ms: number) => 1000 * ms / timedMessages;
    return {
      steps: [
        ...Object.values(STEPS).map((step): StepCost => ({
          side: step.side,
          step: step.label,
          kind: step.kind,
          microseconds: perMessage(totals.get(step) ?? 0),
        })),
        { side: "sender", step: DH_STEP, kind: "ratchet encrypt", microseconds: dh },
      ],
      primitives: { signMicroseconds, verifyMicroseconds },
    };
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
