/**
 * Incoming envelopes and acknowledgements. An envelope is accepted only when: its signature is
 * the Noise-authenticated sender's (for mail from the rendezvous mailbox: the signature of the
 * sender key it names), it is addressed to us, it is not a duplicate, it decrypts, and the
 * username inside is certified by the rendezvous for the sending key. Then session, history and
 * the seen id are committed in one transaction before the Ack is sent (or the mail acknowledged),
 * so an Ack always means "stored". A receipt (CONTENT_KINDS.receipt) marks our mailed messages delivered.
 */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { MAX_RECEIPT_IDS } from "../../protocol/limits.ts";
import type { PeerId } from "@libp2p/interface";
import { sealAtRest } from "../../crypto/at_rest.ts";
import { bytesEqual } from "../../crypto/bytes.ts";
import { type Envelope, EnvelopeError, openEnvelope } from "../../crypto/envelope.ts";
import { PrekeyKind } from "../../crypto/prekeys.ts";
import { StatementError } from "../../crypto/statements.ts";
import { RemoteError } from "../../errors.ts";
import { Ack, Content } from "../../proto/chat.ts";
import { Receipt } from "../../proto/mailbox.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { transaction } from "../../store/database.ts";
import { bodyContext, type PeerContext } from "../context.ts";
import { type PeerEvent } from "../events.ts";
import { toHex } from "../../crypto/bytes.ts";
import { type Decrypted, UndecryptableError } from "./session_manager.ts";

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
  /** Left for a later read: its content kind has no handler yet (nothing was stored). */
  readonly deferred?: boolean;
}

/** Where an envelope came from. */
type Via = "direct" | "mailbox";

/** Handles what arrives on chat links. */
export class Incoming {
  constructor(private readonly ctx: PeerContext) {}

  /** Processes one signed envelope from `from`; returns the Ack to send back. */
  async onEnvelope(bytes: Uint8Array, from: PeerId): Promise<Ack> {
    try {
      return await this.#accept(bytes, from);
    } catch (err: unknown) {
      if (err instanceof EnvelopeError || err instanceof RejectedError) {
        this.ctx.log.warn(`rejected a message from ${from}: ${err.message}`);
        return { messageId: new Uint8Array(0), result: Ack.Result.REJECTED, reason: err.message };
      }
      throw err;
    }
  }

  /**
   * Processes one envelope fetched from our mailbox: the sender is authenticated by the
   * envelope's signature and its certificate instead of Noise. Returns the outcome for the
   * receipt; throws only on unexpected failures (the mail is then kept for another fetch). With
   * `deferUnhandled`, a content kind without a handler is deferred rather than refused (the
   * peer is starting; its features register their handlers right after).
   */
  async onMail(bytes: Uint8Array, deferUnhandled = false): Promise<MailOutcome> {
    const { ctx } = this;
    let envelope: Envelope;
    try {
      envelope = await openEnvelope(bytes, undefined, ctx.signer.publicKey);
    } catch (err: unknown) {
      if (!(err instanceof EnvelopeError)) throw err;
      ctx.log.warn(`dropped a mail: ${err.message}`);
      return { delivered: false, reason: err.message };
    }
    const senderKey = envelope.sender;
    const { messageId } = envelope;
    return await ctx.sessions.exclusive(senderKey, async (): Promise<MailOutcome> => {
      const known = ctx.trust.contactByKey(senderKey)?.username;
      const from = known === undefined ? {} : { from: known };
      if (ctx.history.seen(messageId)) return { messageId, ...from, delivered: true };
      try {
        const stored = await this.#store(envelope, senderKey, "mailbox");
        return {
          messageId,
          from: stored.from,
          delivered: true,
          receipt: stored.kind === CONTENT_KINDS.receipt,
        };
      } catch (err: unknown) {
        if (!(err instanceof UndecryptableError || err instanceof RejectedError)) throw err;
        if (err instanceof UnhandledKindError && deferUnhandled) {
          return { messageId, ...from, delivered: false, deferred: true };
        }
        ctx.log.warn(`refused a mail: ${err.message}`);
        return { messageId, ...from, delivered: false, reason: err.message };
      }
    });
  }

  /** Applies an acknowledgement from `from` to our outbox. */
  onAck(ack: Ack, from: PeerId): void {
    const { ctx } = this;
    const entry = ctx.outbox.get(ack.messageId);
    if (entry === undefined || entry.status === "delivered" || entry.status === "failed") return;
    const contact = ctx.contacts.get(entry.recipient);
    const fromKey = from.publicKey?.raw;
    if (!contact || !fromKey || !bytesEqual(contact.identityKey, fromKey)) return;
    const id = toHex(ack.messageId);
    if (ack.result === Ack.Result.DELIVERED) {
      ctx.outbox.setStatus(ack.messageId, "delivered", ctx.now());
      ctx.emit({ type: "delivered", id, to: entry.recipient });
    } else {
      const reason = `${entry.recipient} rejected it: ${ack.reason || "no reason given"}`;
      ctx.outbox.setStatus(ack.messageId, "failed", ctx.now(), reason);
      ctx.emit({ type: "failed", id, to: entry.recipient, reason });
    }
  }

  async #accept(bytes: Uint8Array, from: PeerId): Promise<Ack> {
    const { ctx } = this;
    const senderKey = from.publicKey?.raw;
    if (senderKey === undefined || from.type !== "Ed25519") {
      throw new RejectedError("the sender has no Ed25519 identity");
    }
    const envelope = await openEnvelope(bytes, senderKey, ctx.signer.publicKey);
    const delivered = { messageId: envelope.messageId, result: Ack.Result.DELIVERED, reason: "" };
    // One envelope of this sender at a time, and not while we encrypt for it: the same envelope
    // may arrive twice at once (on two streams), and each decryption ratchets the stored session.
    return await ctx.sessions.exclusive(senderKey, async () => {
      if (ctx.history.seen(envelope.messageId)) return delivered; // a resend: ack again
      try {
        await this.#store(envelope, senderKey, "direct");
      } catch (err: unknown) {
        if (!(err instanceof UndecryptableError || err instanceof RejectedError)) throw err;
        ctx.log.warn(`rejected a message from ${from}: ${err.message}`);
        return { messageId: envelope.messageId, result: Ack.Result.REJECTED, reason: err.message };
      }
      return delivered;
    });
  }

  /** Decrypts, authenticates and stores an envelope; returns its certified sender and kind. */
  async #store(
    envelope: Envelope,
    senderKey: Uint8Array,
    via: Via,
  ): Promise<{ from: string; kind: string }> {
    const { ctx } = this;
    const now = ctx.now();
    const known = ctx.trust.contactByKey(senderKey);
    const decrypted = await ctx.sessions.decrypt(
      { username: known?.username ?? UNKNOWN_SENDER, identityKey: senderKey },
      envelope,
      now,
    );
    let content: Content;
    let username: string;
    try {
      content = Content.decode(decrypted.plaintext);
      username = normalizeUsername(content.from);
    } catch {
      throw new RejectedError("the message content is malformed");
    }
    const keyChanged = await this.#authenticate(username, senderKey, known?.username, now);
    const sentAt = Number(content.sentAt);
    const stored = { from: username, kind: content.kind };
    if (content.kind === CONTENT_KINDS.receipt) {
      this.#applyReceipt(content, username, keyChanged, envelope, decrypted, now);
      return stored;
    }
    if (content.kind !== "") {
      await this.#deliverOther(content, username, envelope, decrypted, sentAt, now);
      return stored;
    }
    const body = await sealAtRest(
      ctx.profile.storageKey,
      decrypted.plaintext,
      bodyContext("history", envelope.messageId),
    );
    transaction(ctx.profile.db, () => {
      ctx.ratchetSessions.save({ ...decrypted.session, username });
      if (decrypted.usedOneTimePrekeyId !== undefined) {
        ctx.ownKeys.delete(PrekeyKind.OneTime, decrypted.usedOneTimePrekeyId);
      }
      ctx.history.markSeen(envelope.messageId, now);
      ctx.history.add({
        messageId: envelope.messageId,
        peer: username,
        outgoing: false,
        sentAt,
        body,
      }, now);
    });
    ctx.emit({
      type: "message",
      id: toHex(envelope.messageId),
      from: username,
      to: ctx.username,
      text: content.text,
      sentAt,
      keyChanged,
      via,
    });
    return stored;
  }

  /**
   * Marks the messages a receipt names delivered (or failed, when refused), if they were ours to
   * `from`, in one transaction with the session and the seen id. A receipt from a key that is not
   * the pinned one changes nothing but the session.
   */
  #applyReceipt(
    content: Content,
    from: string,
    keyChanged: boolean,
    envelope: Envelope,
    decrypted: Decrypted,
    now: number,
  ): void {
    const { ctx } = this;
    let receipt: Receipt;
    try {
      receipt = Receipt.decode(content.payload, {
        limits: { delivered: MAX_RECEIPT_IDS, refused: MAX_RECEIPT_IDS },
      });
    } catch {
      throw new RejectedError("the receipt is malformed");
    }
    const events: PeerEvent[] = [];
    const settle = (messageId: Uint8Array, reason?: string) => {
      const entry = ctx.outbox.get(messageId);
      if (keyChanged || entry === undefined || entry.recipient !== from) return;
      if (entry.status === "delivered" || entry.status === "failed") return;
      const id = toHex(messageId);
      if (reason === undefined) {
        ctx.outbox.setStatus(messageId, "delivered", now);
        events.push({ type: "delivered", id, to: from });
      } else {
        const why = `${from} refused it: ${reason || "no reason given"}`;
        ctx.outbox.setStatus(messageId, "failed", now, why);
        events.push({ type: "failed", id, to: from, reason: why });
      }
    };
    transaction(ctx.profile.db, () => {
      ctx.ratchetSessions.save({ ...decrypted.session, username: from });
      if (decrypted.usedOneTimePrekeyId !== undefined) {
        ctx.ownKeys.delete(PrekeyKind.OneTime, decrypted.usedOneTimePrekeyId);
      }
      ctx.history.markSeen(envelope.messageId, now);
      for (const messageId of receipt.delivered) settle(messageId);
      for (const refusal of receipt.refused) settle(refusal.messageId, refusal.reason);
    });
    for (const event of events) ctx.emit(event);
  }

  /**
   * Hands another feature's content (rooms, files …) to its handler, then commits the session
   * and the seen id. A handler that throws rejects the message; one may run twice for the same
   * id (a crash between it and the commit), so handlers are idempotent by message id.
   */
  async #deliverOther(
    content: Content,
    from: string,
    envelope: Envelope,
    decrypted: Decrypted,
    sentAt: number,
    now: number,
  ): Promise<void> {
    const { ctx } = this;
    const handler = ctx.contentHandlers.get(content.kind);
    if (handler === undefined) {
      throw new UnhandledKindError(`this peer does not handle "${content.kind}" messages`);
    }
    try {
      await handler({
        id: toHex(envelope.messageId),
        from,
        sentAt,
        text: content.text,
        payload: content.payload,
      });
    } catch (err: unknown) {
      throw new RejectedError(
        `${content.kind}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    transaction(ctx.profile.db, () => {
      ctx.ratchetSessions.save({ ...decrypted.session, username: from });
      if (decrypted.usedOneTimePrekeyId !== undefined) {
        ctx.ownKeys.delete(PrekeyKind.OneTime, decrypted.usedOneTimePrekeyId);
      }
      ctx.history.markSeen(envelope.messageId, now);
    });
  }

  /**
   * Checks that the rendezvous certifies `senderKey` for `username` (skipped when the key is the
   * one pinned for that name). Returns whether the key differs from the pinned one.
   * @throws RejectedError when it is not certified, or the contact is verified and blocked.
   */
  async #authenticate(
    username: string,
    senderKey: Uint8Array,
    pinnedFor: string | undefined,
    now: number,
  ): Promise<boolean> {
    const { ctx } = this;
    const contact = ctx.contacts.get(username);
    if (pinnedFor === username && contact && bytesEqual(contact.identityKey, senderKey)) {
      return false;
    }
    let user;
    try {
      user = await ctx.directory.resolve(username, now);
    } catch (err: unknown) {
      if (err instanceof RemoteError || err instanceof StatementError) {
        throw new RejectedError(`cannot check ${username}'s certificate: ${err.message}`);
      }
      throw err;
    }
    if (!bytesEqual(user.identityKey, senderKey)) {
      throw new RejectedError(`the rendezvous does not certify this key for ${username}`);
    }
    if (user.standing === "blocked") {
      ctx.emit({ type: "key-changed", username, blocked: true });
      throw new RejectedError(`${username} is verified and its key changed: blocked`);
    }
    if (user.standing === "changed") {
      ctx.outbox.hold(username, now);
      ctx.emit({ type: "key-changed", username, blocked: false });
      return true;
    }
    return false;
  }
}

/** An envelope we refuse, with the reason sent back in the Ack. */
class RejectedError extends Error {
  override name = "RejectedError";
}

/** A content kind no handler is registered for (yet). */
class UnhandledKindError extends RejectedError {
  override name = "UnhandledKindError";
}
