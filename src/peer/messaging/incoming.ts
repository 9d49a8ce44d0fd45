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
 * transaction (a group commit; see onEnvelopes). A receipt marks our mailed messages delivered
 * (apply_receipt.ts); other kinds go to their service's handler (other_content.ts).
 *
 * Decrypting holds the sender's lock (each decryption ratchets the stored session); asking the
 * rendezvous for a certificate does not: a message whose sender must be certified is decrypted,
 * the lock released, the certificate fetched, and the message decrypted again under the lock.
 */
import type { PeerId } from "@libp2p/interface";
import { sealAtRest } from "../../crypto/at_rest.ts";
import { toHex } from "../../crypto/bytes.ts";
import type { Envelope } from "../../crypto/envelope.ts";
import { Ack, Content } from "../../proto/chat.ts";
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import type { PeerEvent, Via } from "../events.ts";
import { bodyContext } from "../store/body_context.ts";
import { retryIfStale } from "../store/compare_and_set.ts";
import { peerIdOfKey } from "../trust.ts";
import { applyAcks } from "./apply_acks.ts";
import { applyReceipt } from "./apply_receipt.ts";
import { checkSendTime } from "./clock_check.ts";
import { type Certification, checkEnvelope, judgeSender } from "./incoming_decision.ts";
import type { IncomingPorts, MailOutcome } from "./incoming_ports.ts";
import type { Batch, Deferred, Outcome, Pass } from "./incoming_pass.ts";
import { deliverOther } from "./other_content.ts";
import { commitAllReceived, type Received } from "./received_commit.ts";
import { SenderCertificates } from "./sender_certificates.ts";
import { sessionProtocolEvent } from "./session_protocol_event.ts";
import { ResetWindow } from "./session_reset.ts";
import { type Decrypted, UndecryptableError } from "./session_manager.ts";

/** A username no session has been bound to yet; replaced by the certified one. */
const UNKNOWN_SENDER = "";

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
    const acks: Ack[] = [];
    const opened: { readonly index: number; readonly envelope: Envelope }[] = [];
    for (const [index, bytes] of frames.entries()) {
      const checked = await this.#check(bytes, senderKey);
      if (checked.verdict === "reject") acks[index] = rejected(new Uint8Array(0), checked.reason);
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
          acks[index] = { messageId, result: Ack.Result.DELIVERED, reason: "" };
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

  /** Applies the acknowledgements of one frame from `from` to our outbox (apply_acks.ts). */
  onAcks(acks: readonly Ack[], from: PeerId): void {
    const fromKey = from.publicKey?.raw;
    if (fromKey !== undefined) applyAcks(this.ports, acks, fromKey);
  }

  #check(bytes: Uint8Array, sender: Uint8Array | undefined) {
    const recipient = this.ports.identityKey;
    return checkEnvelope(bytes, sender === undefined ? { recipient } : { recipient, sender });
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
    const peer = { username: known?.username ?? UNKNOWN_SENDER, identityKey: senderKey };
    if (batch && batch.stored?.username !== peer.username) {
      batch.stored = { username: peer.username, sessions: sessions.stored(peer) };
    }
    let decrypted: Decrypted;
    try {
      decrypted = await sessions.decrypt(
        peer,
        envelope,
        now,
        batch ? [...batch.unsaved.values()] : [],
        batch?.stored?.sessions,
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
      const commit = (also: () => void) => this.#commit(received, also);
      const refused = applyReceipt(this.ports, content.payload, received, keyChanged, commit);
      return refused === undefined
        ? { result: "stored", from, kind: content.kind }
        : { result: "rejected", reason: refused };
    }
    if (content.kind !== "") {
      if (keyChanged) {
        // Not the same person until trusted: no room or file message on the old key's standing.
        const reason = `${this.ports.username} has not trusted ${from}'s new key yet`;
        return { result: "rejected", reason };
      }
      const commit = (also: () => void) => this.#commit(received, also);
      const refused = await deliverOther(this.ports, content, received, sentAt, commit);
      return refused === undefined
        ? { result: "stored", from, kind: content.kind }
        : { result: "rejected", reason: refused };
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
