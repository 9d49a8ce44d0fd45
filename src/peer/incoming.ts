/**
 * Incoming envelopes and acknowledgements. An envelope is accepted only when: its signature is
 * the Noise-authenticated sender's, it is addressed to us, it is not a duplicate, it decrypts,
 * and the username inside is certified by the rendezvous for the sending key. Then session,
 * history and the seen id are committed in one transaction before the Ack is sent, so an Ack
 * always means "stored".
 */
import type { PeerId } from "@libp2p/interface";
import { sealAtRest } from "../crypto/at_rest.ts";
import { bytesEqual } from "../crypto/bytes.ts";
import { type Envelope, EnvelopeError, openEnvelope } from "../crypto/envelope.ts";
import { PrekeyKind } from "../crypto/prekeys.ts";
import { StatementError } from "../crypto/statements.ts";
import { RemoteError } from "../errors.ts";
import { Ack, Content } from "../proto/chat.ts";
import { normalizeUsername } from "../rendezvous/username.ts";
import { transaction } from "../store/database.ts";
import { bodyContext, type PeerContext } from "./context.ts";
import { toHex } from "./events.ts";
import { type Decrypted, UndecryptableError } from "./session_manager.ts";

/** A username no session has been bound to yet; replaced by the certified one. */
const UNKNOWN_SENDER = "";

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
        await this.#store(envelope, senderKey);
      } catch (err: unknown) {
        if (!(err instanceof UndecryptableError || err instanceof RejectedError)) throw err;
        ctx.log.warn(`rejected a message from ${from}: ${err.message}`);
        return { messageId: envelope.messageId, result: Ack.Result.REJECTED, reason: err.message };
      }
      return delivered;
    });
  }

  async #store(envelope: Envelope, senderKey: Uint8Array): Promise<void> {
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
    if (content.kind !== "") {
      return await this.#deliverOther(content, username, envelope, decrypted, sentAt, now);
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
    });
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
      throw new RejectedError(`this peer does not handle "${content.kind}" messages`);
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
