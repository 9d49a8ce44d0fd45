/**
 * Outgoing messages: written to the outbox first (so nothing is lost), then encrypted for the
 * recipient's trusted key and sent over the chat link, and resent until acknowledged. Messages
 * to a user whose key changed are held until /trust.
 */
import { openAtRest, sealAtRest } from "../crypto/at_rest.ts";
import { newMessageId, sealEnvelope } from "../crypto/envelope.ts";
import { StatementError } from "../crypto/statements.ts";
import { X3dhError } from "../crypto/x3dh.ts";
import { RemoteError } from "../errors.ts";
import { Content } from "../proto/chat.ts";
import { transaction } from "../store/database.ts";
import type { OutboxEntry } from "../store/outbox.ts";
import { bodyContext, type PeerContext } from "./context.ts";
import type { ResolvedUser } from "./directory.ts";
import { type MessageIdHex, toHex } from "./events.ts";

/** Sends and resends what is in the outbox, one recipient at a time. */
export class Outgoing {
  readonly #queues = new Map<string, Promise<void>>();

  constructor(private readonly ctx: PeerContext) {}

  /**
   * Writes a message to `to` into the outbox and history, then starts sending it. Returns its id;
   * the outcome arrives as a delivered or failed event.
   */
  async write(to: string, text: string): Promise<MessageIdHex> {
    const { ctx } = this;
    const now = ctx.now();
    const messageId = newMessageId();
    const content = Content.encode({ from: ctx.username, text, sentAt: BigInt(now) });
    const outboxBody = await sealAtRest(
      ctx.profile.storageKey,
      content,
      bodyContext("outbox", messageId),
    );
    const historyBody = await sealAtRest(
      ctx.profile.storageKey,
      content,
      bodyContext("history", messageId),
    );
    const held = ctx.contacts.get(to)?.pendingKey !== undefined;
    transaction(ctx.profile.db, () => {
      ctx.outbox.add({
        messageId,
        recipient: to,
        body: outboxBody,
        status: held ? "held" : "pending",
        createdAt: now,
      });
      ctx.history.add({ messageId, peer: to, outgoing: true, sentAt: now, body: historyBody }, now);
    });
    if (held) ctx.emit({ type: "key-changed", username: to, blocked: this.#blocked(to) });
    else void this.flush(to);
    return toHex(messageId);
  }

  /** Sends `to`'s undelivered messages, after any flush of `to` already running. */
  flush(to: string): Promise<void> {
    const previous = this.#queues.get(to) ?? Promise.resolve();
    const next = previous.then(() => this.#flush(to)).catch((err: unknown) => {
      this.ctx.log.warn(`sending to ${to} failed: ${(err as Error).message}`);
    });
    this.#queues.set(to, next);
    void next.then(() => {
      if (this.#queues.get(to) === next) this.#queues.delete(to);
    });
    return next;
  }

  async #flush(to: string): Promise<void> {
    const { ctx } = this;
    const entries = ctx.outbox.undelivered(to);
    if (entries.length === 0) return;
    let user: ResolvedUser;
    try {
      user = await ctx.directory.resolve(to, ctx.now());
    } catch (err: unknown) {
      if (err instanceof RemoteError && err.status === "E_NOT_FOUND") {
        return this.#failAll(entries, `there is no user ${to} at this rendezvous`);
      }
      if (err instanceof StatementError) {
        return this.#failAll(entries, `${to}'s certificate does not verify: ${err.message}`);
      }
      throw err;
    }
    if (user.standing === "changed" || user.standing === "blocked") {
      ctx.outbox.hold(to, ctx.now());
      ctx.emit({ type: "key-changed", username: to, blocked: user.standing === "blocked" });
      return;
    }
    for (const entry of entries) {
      let envelope = entry.envelope;
      if (envelope === undefined) {
        try {
          envelope = await this.#encrypt(entry, user);
        } catch (err: unknown) {
          if (err instanceof X3dhError || err instanceof StatementError) {
            return this.#failAll([entry], `cannot start a secure session: ${err.message}`);
          }
          throw err;
        }
      }
      await ctx.links.send(user.peerId, envelope);
    }
  }

  async #encrypt(entry: OutboxEntry, user: ResolvedUser): Promise<Uint8Array> {
    const { ctx } = this;
    const content = await openAtRest(
      ctx.profile.storageKey,
      entry.body,
      bodyContext("outbox", entry.messageId),
    );
    const peer = { username: user.username, identityKey: user.identityKey };
    // Exclusive from reading the session to saving it: an envelope arriving from this peer
    // meanwhile must not ratchet the same stored state (one of the two updates would be lost).
    return await ctx.sessions.exclusive(user.identityKey, async () => {
      const now = ctx.now();
      const encrypted = await ctx.sessions.encrypt(
        peer,
        content,
        () => ctx.directory.bundle(user.username, user.identityKey, now),
        now,
      );
      const envelope = await sealEnvelope(ctx.signer, {
        sender: ctx.signer.publicKey,
        recipient: user.identityKey,
        messageId: entry.messageId,
        timestamp: entry.createdAt,
        ...(encrypted.prekey ? { prekey: encrypted.prekey } : {}),
        ratchetHeader: encrypted.message.header,
        ciphertext: encrypted.message.ciphertext,
      });
      transaction(ctx.profile.db, () => {
        ctx.ratchetSessions.save(encrypted.session);
        ctx.outbox.setEnvelope(entry.messageId, envelope, now);
      });
      return envelope;
    });
  }

  #failAll(entries: OutboxEntry[], reason: string): void {
    for (const entry of entries) {
      this.ctx.outbox.setStatus(entry.messageId, "failed", this.ctx.now(), reason);
      this.ctx.emit({ type: "failed", id: toHex(entry.messageId), to: entry.recipient, reason });
    }
  }

  #blocked(username: string): boolean {
    return this.ctx.contacts.get(username)?.verified ?? false;
  }
}
