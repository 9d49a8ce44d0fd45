/**
 * Incoming envelopes and acknowledgements. An envelope is accepted only when: its signature is
 * the Noise-authenticated sender's (for mail from the rendezvous mailbox: the signature of the
 * sender key it names), it is addressed to us, it is not a duplicate, it decrypts, and the
 * username inside is bound to the sending key by a current rendezvous certificate (cached with
 * an expiry, sender_certificates.ts) — the pinned key too, which may have been retired from the
 * account since (incoming_decision.ts).
 * Then session, content and the seen id are committed in one transaction (received_commit.ts)
 * before the Ack is sent (or the mail acknowledged), so an Ack always means "stored". The chat
 * messages of one frame from a contact on an established session are committed together, in one
 * transaction (a group commit; see onEnvelopes). A receipt
 * (CONTENT_KINDS.receipt) marks our mailed messages delivered. Content of other kinds goes to the
 * handler its service registered; a kind without one is rejected.
 *
 * Decrypting holds the sender's lock (each decryption ratchets the stored session); asking the
 * rendezvous for a certificate does not: a message whose sender must be certified is decrypted,
 * the lock released, the certificate fetched, and the message decrypted again under the lock.
 */
import type { PeerId } from "@libp2p/interface";
import { sealAtRest } from "../../crypto/at_rest.ts";
import { bytesEqual, toHex } from "../../crypto/bytes.ts";
import { transaction } from "../../store/database.ts";
import type { Envelope } from "../../crypto/envelope.ts";
import type { Logger } from "../../log.ts";
import { Ack, Content } from "../../proto/chat.ts";
import { Receipt } from "../../proto/mailbox.ts";
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { MAX_RECEIPT_IDS } from "../../protocol/limits.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import type { MessageIdHex, PeerEvent, Via } from "../events.ts";
import type { ContentHandler } from "../service.ts";
import { bodyContext } from "../store/body_context.ts";
import { keptInHistory } from "../store/history.ts";
import type { ContactStore } from "../store/contacts.ts";
import type { OutboxStore } from "../store/outbox.ts";
import { peerIdOfKey } from "../trust.ts";
import { type Certification, checkEnvelope, judgeSender } from "./incoming_decision.ts";
import { retryIfStale, StaleStateError } from "../store/compare_and_set.ts";
import { checkSendTime } from "./clock_check.ts";
import { commitAllReceived, type Received, type ReceivedStores } from "./received_commit.ts";
import type { StoredSession } from "../store/ratchet_sessions.ts";
import { ResetWindow } from "./session_reset.ts";
import { sessionProtocolEvent } from "./session_protocol_event.ts";
import { SenderCertificates, type SenderCertifier } from "./sender_certificates.ts";
import { type Decrypted, type SessionManager, UndecryptableError } from "./session_manager.ts";

/** A username no session has been bound to yet; replaced by the certified one. */
const UNKNOWN_SENDER = "";

/** What processing one mail gave. */
export interface MailOutcome {
  /** The message id, when the envelope could be read. */
  readonly messageId?: Uint8Array;
  /** The sender's certified username, when known: a receipt goes back to it. */
  readonly from?: string;
  /** Stored (or already had it); else refused for `reason`. */
  readonly delivered: boolean;
  readonly reason?: string;
  /** The mail was itself a receipt (it gets none back). */
  readonly receipt?: boolean;
  /**
   * No session decrypts it: the key that signed it, whose owner is to be asked for a session
   * reset (reset_answers.ts) instead of a refusal in the receipt.
   */
  readonly resetBy?: Uint8Array;
}

/** The stores incoming messages are checked against and committed to. */
export interface IncomingStores extends ReceivedStores {
  readonly outbox: OutboxStore;
  readonly contacts: Pick<ContactStore, "get" | "byKey">;
  /** Seals history bodies at rest. */
  readonly storageKey: Uint8Array;
}

/** Where the outcomes of our own messages go (the outgoing side). */
export interface DeliveryReports {
  /** Our message `id` to `to` was delivered. */
  delivered(id: MessageIdHex, to: string): void;
  /** Our message `id` to `to` failed for `reason`. */
  failed(id: MessageIdHex, to: string, reason: string): void;
  /** `username`'s key changed (blocked when it was verified); `detail` says what else is wrong. */
  keyChanged(username: string, blocked: boolean, detail?: string): void;
  /** `to` has no session that decrypts our message `id` (session_reset.ts). */
  sessionReset?(id: MessageIdHex, to: string, reason: string): Promise<void>;
}

/** Everything Incoming works with. */
export interface IncomingPorts {
  readonly username: string;
  /** Our identity key: the recipient every envelope must name. */
  readonly identityKey: Uint8Array;
  readonly stores: IncomingStores;
  readonly sessions: Pick<SessionManager, "decrypt" | "exclusive">;
  readonly certifier: SenderCertifier;
  readonly reports: DeliveryReports;
  /**
   * The stored name of a content's claimed sender (`alice@home` from another node is `alice` at
   * `home`, and stays `alice@home` elsewhere); normalizeUsername unless given.
   * @throws RangeError for a name that breaks the rules.
   */
  readonly nameOf?: (claimed: string) => string;
  /** The content handlers of the peer's services, by kind. */
  readonly handlers: ReadonlyMap<string, ContentHandler>;
  readonly now: () => number;
  /** Receives the messages that arrive. */
  readonly emit: (event: PeerEvent) => void;
  readonly log: Logger;
}

/** Where an envelope came from. */

/** What receiving one opened envelope gave. */
type Outcome =
  | { readonly result: "stored"; readonly from: string; readonly kind: string }
  | { readonly result: "duplicate" }
  | { readonly result: "rejected"; readonly reason: string }
  /** Validly signed, but no session of ours decrypts it: the sender should start a new one. */
  | { readonly result: "reset"; readonly reason: string };

/** What a received message writes in its commit, and the event to emit once it is committed. */
interface Deferred {
  readonly received: Received;
  readonly also?: () => void;
  readonly event?: PeerEvent;
}

/**
 * One pass under the sender's lock: done; the claimed sender needs certifying first; ready to
 * commit (a chat message: the caller commits it, alone or with the rest of its batch); or, in a
 * batch, a message to process alone (nothing was written or reported for it yet).
 */
type Pass =
  | Outcome
  | { readonly result: "certify"; readonly claimed: string }
  | { readonly result: "ready"; readonly deferred: Deferred; readonly outcome: Outcome }
  | { readonly result: "alone" };

/** The messages of a batch decrypted so far and not committed yet. */
interface Batch {
  /** The sessions they advanced, by session id hex, in their latest state. */
  readonly unsaved: Map<string, StoredSession>;
  /** Their ids (hex): a second copy in the same frame is a duplicate. */
  readonly ids: Set<string>;
}

/** Handles what arrives on chat links and from the mailbox. */
export class Incoming {
  readonly #certificates: SenderCertificates;
  /** When each sender (key hex) was last told to reset its session: the user hears it once. */
  readonly #resets = new ResetWindow();

  constructor(private readonly ports: IncomingPorts) {
    this.#certificates = new SenderCertificates(ports.certifier);
  }

  /** Drops `username`'s cached certificate (its key may have changed): the next message asks. */
  recertify(username: string): void {
    this.#certificates.forget(username);
  }

  /**
   * Processes one signed envelope from `from`, carried `via` a direct or relayed link; returns
   * the Ack to send back (onEnvelopes with one envelope).
   */
  async onEnvelope(
    bytes: Uint8Array,
    from: PeerId,
    via: "direct" | "relayed" = "direct",
  ): Promise<Ack> {
    return (await this.onEnvelopes([bytes], from, via))[0]!;
  }

  /**
   * Processes the envelopes of one chat frame from `from`, carried `via` a direct or relayed
   * link, in order; returns their Acks, in the same order. Each signature is verified. The chat
   * messages of a contact on an established session are decrypted one after another under the
   * sender's lock and committed in ONE transaction; anything else (a first message, a sender to
   * certify, a receipt, another feature's content, a key change) is processed alone, once what
   * came before it is committed. So every Ack is made after the commit of what it acknowledges.
   */
  async onEnvelopes(
    frames: readonly Uint8Array[],
    from: PeerId,
    via: "direct" | "relayed" = "direct",
  ): Promise<Ack[]> {
    const senderKey = from.publicKey?.raw;
    const rejected = (messageId: Uint8Array, reason: string): Ack => {
      this.ports.log.warn(`rejected a message from ${from}: ${reason}`);
      return { messageId, result: Ack.Result.REJECTED, reason };
    };
    if (senderKey === undefined || from.type !== "Ed25519") {
      return frames.map(() => rejected(new Uint8Array(0), "the sender has no Ed25519 identity"));
    }
    const delivered = (messageId: Uint8Array): Ack => ({
      messageId,
      result: Ack.Result.DELIVERED,
      reason: "",
    });
    const acks: Ack[] = [];
    const opened: { readonly index: number; readonly envelope: Envelope }[] = [];
    for (const [index, bytes] of frames.entries()) {
      const checked = await this.#check(bytes, senderKey);
      if (checked.verdict === "reject") acks[index] = rejected(new Uint8Array(0), checked.reason);
      else if (checked.verdict === "duplicate") acks[index] = delivered(checked.envelope.messageId);
      else opened.push({ index, envelope: checked.envelope });
    }
    for (let next = 0; next < opened.length;) {
      const rest = opened.slice(next);
      const outcomes = await this.#receiveBatch(rest.map((o) => o.envelope), senderKey, via);
      if (outcomes.length < rest.length) {
        outcomes.push(await this.#receive(rest[outcomes.length]!.envelope, senderKey, via));
      }
      for (const [k, outcome] of outcomes.entries()) {
        const { index, envelope: { messageId } } = rest[k]!;
        if (outcome.result === "reset") {
          this.#toldReset(senderKey, outcome.reason);
          acks[index] = { messageId, result: Ack.Result.SESSION_RESET, reason: outcome.reason };
        } else if (outcome.result === "rejected") {
          acks[index] = rejected(messageId, outcome.reason);
        } else {
          acks[index] = delivered(messageId);
        }
      }
      next += outcomes.length;
    }
    return acks;
  }

  /** Tells the user, once per sender per SESSION_RESET_WINDOW_MS, that a sender must reset. */
  #toldReset(senderKey: Uint8Array, reason: string): void {
    const key = toHex(senderKey);
    const now = this.ports.now();
    this.ports.log.warn(`asked ${key} to start a new session: ${reason}`);
    if (this.#resets.recent(key, now) !== undefined) return;
    this.#resets.note(key, now);
    const name = this.ports.stores.contacts.byKey(senderKey)?.username ??
      `the peer ${peerIdOfKey(senderKey)}`;
    this.ports.emit({
      type: "notice",
      text: `a message from ${name} could not be decrypted: this profile has no session for it ` +
        "(it was repaired or restored); asked the sender to start a new session and send again",
    });
  }

  /**
   * Processes one envelope fetched from our mailbox: the sender is authenticated by the
   * envelope's signature and its certificate instead of Noise. Returns the outcome for the
   * receipt; throws only on unexpected failures (the mail is then kept for another fetch).
   */
  async onMail(bytes: Uint8Array): Promise<MailOutcome> {
    const checked = await this.#check(bytes, undefined);
    if (checked.verdict === "reject") {
      this.ports.log.warn(`dropped a mail: ${checked.reason}`);
      return { delivered: false, reason: checked.reason };
    }
    const { envelope } = checked;
    const { messageId } = envelope;
    const known = this.ports.stores.contacts.byKey(envelope.sender)?.username;
    const from = known === undefined ? {} : { from: known };
    if (checked.verdict === "duplicate") return { messageId, ...from, delivered: true };
    const outcome = await this.#receive(envelope, envelope.sender, "mailbox");
    if (outcome.result === "duplicate") return { messageId, ...from, delivered: true };
    if (outcome.result === "reset") {
      this.#toldReset(envelope.sender, outcome.reason);
      return {
        messageId,
        ...from,
        delivered: false,
        reason: outcome.reason,
        resetBy: envelope.sender,
      };
    }
    if (outcome.result === "rejected") {
      this.ports.log.warn(`refused a mail: ${outcome.reason}`);
      return { messageId, ...from, delivered: false, reason: outcome.reason };
    }
    const receipt = outcome.kind === CONTENT_KINDS.receipt;
    return { messageId, from: outcome.from, delivered: true, receipt };
  }

  /** Applies an acknowledgement from `from` to our outbox (onAcks with one). */
  onAck(ack: Ack, from: PeerId): void {
    this.onAcks([ack], from);
  }

  /**
   * Applies the acknowledgements of one frame from `from` to our outbox, in one transaction;
   * their outcomes are reported once it is committed. An Ack for a message that is not ours to
   * `from`, or already settled, changes nothing.
   */
  onAcks(acks: readonly Ack[], from: PeerId): void {
    const { stores, reports } = this.ports;
    const fromKey = from.publicKey?.raw;
    if (fromKey === undefined) return;
    const settled: (() => void)[] = [];
    transaction(stores.db, () => {
      for (const ack of acks) {
        const entry = stores.outbox.get(ack.messageId);
        if (entry === undefined || entry.status === "delivered" || entry.status === "failed") {
          continue;
        }
        const contact = stores.contacts.get(entry.recipient);
        if (!contact || !bytesEqual(contact.identityKey, fromKey)) continue;
        const id = toHex(ack.messageId);
        const to = entry.recipient;
        if (ack.result === Ack.Result.SESSION_RESET) {
          const reason = ack.reason || "no reason given";
          settled.push(() => void reports.sessionReset?.(id, to, reason));
        } else if (ack.result === Ack.Result.DELIVERED) {
          stores.outbox.setStatus(ack.messageId, "delivered", this.ports.now());
          settled.push(() => reports.delivered(id, to));
        } else {
          const reason = `${to} rejected it: ${ack.reason || "no reason given"}`;
          stores.outbox.setStatus(ack.messageId, "failed", this.ports.now(), reason);
          settled.push(() => reports.failed(id, to, reason));
        }
      }
    });
    for (const report of settled) report();
  }

  #check(bytes: Uint8Array, sender: Uint8Array | undefined) {
    const { identityKey, stores } = this.ports;
    return checkEnvelope(bytes, {
      recipient: identityKey,
      ...(sender === undefined ? {} : { sender }),
      seen: (senderKey, messageId) => stores.history.seen(senderKey, messageId),
    });
  }

  /**
   * Decrypts, judges and commits an opened envelope under the sender's lock. The sender's current
   * certificate is fetched first when its key is a contact's, else between two passes (once the
   * username inside is known).
   */
  async #receive(envelope: Envelope, senderKey: Uint8Array, via: Via): Promise<Outcome> {
    const known = this.ports.stores.contacts.byKey(senderKey)?.username;
    let certification = known === undefined ? undefined : await this.#certify(known);
    for (;;) {
      const pass = await this.ports.sessions.exclusive(
        senderKey,
        // A commit made stale by another process on this profile (it moved the session on):
        // this pass starts again from the stored session (maybe to find the message seen).
        () =>
          retryIfStale(async () => {
            const pass = await this.#pass(envelope, senderKey, via, certification);
            if (pass.result !== "ready") return pass;
            this.#commitAll([pass.deferred]);
            return pass.outcome;
          }),
      );
      if (pass.result === "alone") throw new TypeError("a message passed alone was deferred");
      if (pass.result !== "certify") return pass;
      certification = await this.#certify(pass.claimed);
    }
  }

  /**
   * Decrypts and judges, under the sender's lock, the longest run of `envelopes` that are chat
   * messages of a contact on its established sessions, and commits them in one transaction.
   * Returns the outcomes of that run (empty when the first must be processed alone, or the sender
   * is not a contact); the caller processes the next one alone.
   */
  async #receiveBatch(
    envelopes: readonly Envelope[],
    senderKey: Uint8Array,
    via: Via,
  ): Promise<Outcome[]> {
    const known = this.ports.stores.contacts.byKey(senderKey)?.username;
    if (known === undefined || envelopes.length < 2) return [];
    const certification = await this.#certify(known);
    return await this.ports.sessions.exclusive(senderKey, () =>
      retryIfStale(async () => {
        const batch: Batch = { unsaved: new Map(), ids: new Set() };
        const deferred: Deferred[] = [];
        const outcomes: Outcome[] = [];
        for (const envelope of envelopes) {
          const pass = await this.#pass(envelope, senderKey, via, certification, batch);
          if (pass.result === "alone" || pass.result === "certify") break;
          if (pass.result === "ready") {
            const { session } = pass.deferred.received.decrypted;
            batch.unsaved.set(toHex(session.sessionId), session);
            batch.ids.add(toHex(envelope.messageId));
            deferred.push(pass.deferred);
            outcomes.push(pass.outcome);
          } else {
            outcomes.push(pass);
          }
        }
        this.#commitAll(deferred);
        return outcomes;
      }));
  }

  #certify(username: string): Promise<Certification> {
    return this.#certificates.certify(username, this.ports.now());
  }

  /**
   * Decrypts and judges one envelope; a chat message comes back ready to commit. In a `batch`,
   * nothing is written or reported: a message that would need more than a chat message's commit
   * (a new session, a sender to certify or to hold, a receipt, another feature's content) comes
   * back "alone", for the caller to process on its own.
   */
  async #pass(
    envelope: Envelope,
    senderKey: Uint8Array,
    via: Via,
    certification: Certification | undefined,
    batch?: Batch,
  ): Promise<Pass> {
    const { stores, sessions, reports } = this.ports;
    if (stores.history.seen(senderKey, envelope.messageId)) return { result: "duplicate" };
    if (batch?.ids.has(toHex(envelope.messageId))) return { result: "duplicate" };
    const now = this.ports.now();
    const known = stores.contacts.byKey(senderKey);
    let decrypted: Decrypted;
    try {
      decrypted = await sessions.decrypt(
        { username: known?.username ?? UNKNOWN_SENDER, identityKey: senderKey },
        envelope,
        now,
        batch ? [...batch.unsaved.values()] : [],
      );
    } catch (err: unknown) {
      if (err instanceof UndecryptableError) return { result: "reset", reason: err.message };
      throw err;
    }
    if (batch && decrypted.session.version === undefined) return { result: "alone" };
    let content: Content;
    let from: string;
    try {
      content = Content.decode(decrypted.plaintext);
      from = this.ports.nameOf?.(content.from) ?? normalizeUsername(content.from);
    } catch {
      return { result: "rejected", reason: "the message content is malformed" };
    }
    const pinnedKey = stores.contacts.get(from)?.identityKey;
    const judged = judgeSender({
      claimed: from,
      senderKey,
      ...(pinnedKey === undefined ? {} : { pinnedKey }),
      ...(certification === undefined ? {} : { certification }),
    });
    if (batch && (judged.verdict !== "accept" || content.kind !== "")) return { result: "alone" };
    if (judged.verdict === "certify") return { result: "certify", claimed: from };
    if (judged.verdict === "reject") {
      if (judged.blocked) reports.keyChanged(from, true);
      return { result: "rejected", reason: judged.reason };
    }
    const keyChanged = judged.verdict === "hold";
    if (judged.verdict === "hold") {
      stores.outbox.hold(from, now);
      reports.keyChanged(from, false, judged.warning);
    }
    const received = { senderKey, messageId: envelope.messageId, from, decrypted, now };
    // The sender's clock is its word: a time far off is not sorted by (clock_check.ts).
    const clock = checkSendTime(Number(content.sentAt), now);
    const sentAt = clock.sentAt;
    if (content.kind === CONTENT_KINDS.receipt) {
      const refused = this.#applyReceipt(content.payload, received, keyChanged);
      return refused ?? { result: "stored", from, kind: content.kind };
    }
    if (content.kind !== "") {
      if (keyChanged) {
        // Not the same person until trusted: no room or file message on the old key's standing.
        const reason = `${this.ports.username} has not trusted ${from}'s new key yet`;
        return { result: "rejected", reason };
      }
      const refused = await this.#deliverOther(content, received, sentAt);
      return refused ?? { result: "stored", from, kind: content.kind };
    }
    const body = await sealAtRest(
      stores.storageKey,
      decrypted.plaintext,
      bodyContext("history", envelope.messageId),
    );
    const also = () => {
      stores.history.add({
        messageId: envelope.messageId,
        peer: from,
        outgoing: false,
        sentAt,
        body,
        ...(keyChanged ? { untrusted: true } : {}),
      }, now);
    };
    const event: PeerEvent = {
      type: "message",
      id: toHex(envelope.messageId),
      from,
      to: this.ports.username,
      text: content.text,
      sentAt,
      ...(clock.note === undefined ? {} : { clockNote: clock.note }),
      keyChanged,
      trusted: !keyChanged,
      via,
    };
    const outcome: Outcome = { result: "stored", from, kind: content.kind };
    return { result: "ready", deferred: { received, also, event }, outcome };
  }

  /**
   * Marks the messages a receipt names delivered (or failed, when refused), if they were ours to
   * its sender, in the commit of the receipt. A receipt from a key that is not the pinned one
   * changes nothing but the session. Returns the rejection of a malformed receipt.
   */
  #applyReceipt(
    payload: Uint8Array,
    received: Received,
    keyChanged: boolean,
  ): Outcome | undefined {
    const { stores, reports } = this.ports;
    const { from, now } = received;
    let receipt: Receipt;
    try {
      receipt = Receipt.decode(payload, {
        limits: { delivered: MAX_RECEIPT_IDS, refused: MAX_RECEIPT_IDS },
      });
    } catch {
      return { result: "rejected", reason: "the receipt is malformed" };
    }
    const settled: { id: MessageIdHex; reason?: string }[] = [];
    const settle = (messageId: Uint8Array, reason?: string) => {
      const entry = stores.outbox.get(messageId);
      if (keyChanged || entry === undefined || entry.recipient !== from) return;
      if (entry.status === "delivered" || entry.status === "failed") return;
      if (reason === undefined) {
        stores.outbox.setStatus(messageId, "delivered", now);
        settled.push({ id: toHex(messageId) });
      } else {
        const why = `${from} refused it: ${reason || "no reason given"}`;
        stores.outbox.setStatus(messageId, "failed", now, why);
        settled.push({ id: toHex(messageId), reason: why });
      }
    };
    this.#commit(received, () => {
      for (const messageId of receipt.delivered) settle(messageId);
      for (const refusal of receipt.refused) settle(refusal.messageId, refusal.reason);
    });
    for (const { id, reason } of settled) {
      if (reason === undefined) reports.delivered(id, from);
      else reports.failed(id, from, reason);
    }
    return undefined;
  }

  /**
   * Hands another feature's content (rooms, files …) to its handler, then commits. A kind with
   * no handler, or a handler that throws, rejects the message; a handler may run twice for the
   * same id (a crash between it and the commit), so handlers are idempotent by message id.
   * Returns the rejection, if any.
   */
  async #deliverOther(
    content: Content,
    received: Received,
    sentAt: number,
  ): Promise<Outcome | undefined> {
    const handler = this.ports.handlers.get(content.kind);
    if (handler === undefined) {
      return { result: "rejected", reason: `this peer does not handle "${content.kind}" messages` };
    }
    try {
      await handler({
        id: toHex(received.messageId),
        from: received.from,
        sentAt,
        text: content.text,
        payload: content.payload,
      });
    } catch (err: unknown) {
      if (err instanceof StaleStateError) throw err; // not the message's fault: #receive retries
      const why = err instanceof Error ? err.message : String(err);
      return { result: "rejected", reason: `${content.kind}: ${why}` };
    }
    const { stores } = this.ports;
    const { messageId, from } = received;
    const body = keptInHistory(content.kind) // a broadcast
      ? await sealAtRest(
        stores.storageKey,
        received.decrypted.plaintext,
        bodyContext("history", messageId),
      )
      : undefined;
    this.#commit(received, () => {
      if (body) {
        stores.history.add({ messageId, peer: from, outgoing: false, sentAt, body }, received.now);
      }
    });
    return undefined;
  }

  /** Commits one received message (a receipt, another feature's content) alone. */
  #commit(received: Received, also: () => void): void {
    this.#commitAll([{ received, also }]);
  }

  /**
   * Commits `deferred` in one transaction (commitAllReceived), then emits, in order, the event
   * of each and, when one started a session, the session's key agreement.
   */
  #commitAll(deferred: readonly Deferred[]): void {
    if (deferred.length === 0) return;
    const committed = commitAllReceived(this.ports.stores, deferred);
    for (const [i, { received, event }] of deferred.entries()) {
      const { protocol } = received.decrypted;
      const told = protocol &&
        sessionProtocolEvent(received.from, protocol, committed[i]!.downgraded);
      if (told) this.ports.emit(told);
      if (event) this.ports.emit(event);
    }
  }
}
