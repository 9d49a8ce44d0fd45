/**
 * Outgoing messages: written to the outbox first (so nothing is lost), then encrypted for the
 * recipient's trusted key and sent over the chat link, and resent until acknowledged. When the
 * recipient cannot be reached, the same signed envelope goes to its mailbox at the rendezvous
 * (queued) and is delivered when the recipient's receipt comes back. Messages to a user whose
 * key changed are held until /trust.
 */
import { openAtRest, sealAtRest } from "../../crypto/at_rest.ts";
import { newMessageId, sealEnvelope } from "../../crypto/envelope.ts";
import { StatementError } from "../../crypto/statements.ts";
import { X3dhError } from "../../crypto/x3dh.ts";
import { RemoteError } from "../../errors.ts";
import { Content } from "../../proto/chat.ts";
import { transaction } from "../../store/database.ts";
import type { OutboxEntry } from "../store/outbox.ts";
import { bodyContext, type PeerContext } from "../context.ts";
import type { ResolvedUser } from "../directory.ts";
import type { LinkToken } from "./chat_links.ts";
import { fromHex, toHex } from "../../crypto/bytes.ts";
import { type MessageIdHex } from "../events.ts";

/** How long a resolved recipient (key, addresses) is reused before asking the rendezvous again. */
export const RESOLVE_TTL_MS = 60_000;
/** Contents kept in memory between writing and encrypting; beyond, they are read back. */
const MAX_WRITTEN_IN_MEMORY = 10_000;
/** The longest pause between attempts to reach a recipient with undelivered messages. */
export const RETRY_MAX_MS = 60_000;
/**
 * Flushes that wait for a recipient who is online but has no addresses yet (it is still
 * announcing them) before mailing instead.
 */
const ONLINE_WITHOUT_ADDRESSES_RETRIES = 2;

/** Where messages go when their recipient cannot be reached directly. */
export interface MailDrop {
  /**
   * Leaves a signed envelope in `to`'s mailbox; resolves once the rendezvous committed it.
   * @throws RemoteError when the mailbox refuses it.
   */
  deposit(to: string, envelope: Uint8Array): Promise<void>;
  /** Whether presence says `username` is online. */
  isOnline(username: string): boolean;
}

/**
 * Mailbox refusals that make the message fail (reported to the user, never resent): retrying
 * would not help, or (a full mailbox) the sender should know now rather than retry unseen.
 */
const FINAL_MAILBOX_REFUSALS = new Set([
  "E_TOO_LARGE",
  "E_MAILBOX_FULL",
  "E_NOT_FOUND",
  "E_INVALID_USERNAME",
]);

/** Sends and resends what is in the outbox, one recipient at a time. */
export class Outgoing {
  /** The flush of each recipient running or queued last. */
  readonly #running = new Map<string, Promise<void>>();
  /** The flush of each recipient that has not started yet (later calls join it). */
  readonly #waiting = new Map<string, Promise<void>>();
  /** The link each sent envelope went out on (by message id hex). */
  readonly #sentOn = new Map<string, LinkToken>();
  /** Pending retries of recipients whose last flush failed: the timer and the attempt. */
  readonly #retries = new Map<string, { timer: ReturnType<typeof setTimeout>; attempt: number }>();
  #closed = false;
  /** Contents written by this process and not yet encrypted: spares reopening the outbox body. */
  readonly #written = new Map<MessageIdHex, Uint8Array>();
  /** Messages whose events the user does not see (receipts), until settled. */
  readonly #quiet = new Set<MessageIdHex>();
  /** Recently resolved recipients. */
  readonly #resolved = new Map<string, { user: ResolvedUser; at: number }>();

  constructor(private readonly ctx: PeerContext, private readonly mailDrop?: MailDrop) {}

  /**
   * Writes a message to `to` into the outbox (and a chat message into the history), then starts
   * sending it. `kind` and `payload` carry another feature's message (see ContentHandler).
   * Returns its id; the outcome arrives as a delivered or failed event. A `quiet` message's
   * events are for the peer itself (see isQuiet).
   */
  async write(
    to: string,
    text: string,
    kind = "",
    payload: Uint8Array = new Uint8Array(0),
    quiet = false,
  ): Promise<MessageIdHex> {
    const { ctx } = this;
    const now = ctx.now();
    const messageId = newMessageId();
    const content = Content.encode({
      from: ctx.username,
      text,
      sentAt: BigInt(now),
      kind,
      payload,
    });
    if (this.#written.size < MAX_WRITTEN_IN_MEMORY) this.#written.set(toHex(messageId), content);
    if (quiet) this.#quiet.add(toHex(messageId));
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
      if (kind === "") {
        ctx.history.add(
          { messageId, peer: to, outgoing: true, sentAt: now, body: historyBody },
          now,
        );
      }
    });
    if (held) ctx.emit({ type: "key-changed", username: to, blocked: this.#blocked(to) });
    else void this.flush(to);
    return toHex(messageId);
  }

  /**
   * Sends `to`'s undelivered messages, after any flush of `to` already running. Calls made while
   * a flush is waiting to start share it.
   */
  flush(to: string): Promise<void> {
    const waiting = this.#waiting.get(to);
    if (waiting) return waiting;
    const previous = this.#running.get(to) ?? Promise.resolve();
    const next = previous.then(() => {
      this.#waiting.delete(to);
      return this.#flush(to);
    }).then(() => {
      clearTimeout(this.#retries.get(to)?.timer);
      this.#retries.delete(to);
    }, (err: unknown) => {
      this.ctx.log.warn(`sending to ${to} failed: ${(err as Error).message}`);
      this.#retryLater(to);
    });
    this.#waiting.set(to, next);
    this.#running.set(to, next);
    void next.then(() => {
      if (this.#running.get(to) === next) this.#running.delete(to);
    });
    return next;
  }

  /** Stops retrying (the peer is stopping). */
  close(): void {
    this.#closed = true;
    for (const { timer } of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
  }

  /** Schedules another flush of `to` with a growing pause (1 s, 2 s … 60 s). */
  #retryLater(to: string): void {
    if (this.#closed) return;
    const attempt = (this.#retries.get(to)?.attempt ?? 0) + 1;
    clearTimeout(this.#retries.get(to)?.timer);
    const timer = setTimeout(() => {
      this.forget(to);
      void this.flush(to);
    }, Math.min(1000 * 2 ** (attempt - 1), RETRY_MAX_MS));
    this.#retries.set(to, { timer, attempt });
  }

  /** Forgets what is known of `to` (its key changed or was trusted): the next flush asks again. */
  forget(to: string): void {
    this.#resolved.delete(to);
  }

  async #flush(to: string): Promise<void> {
    const { ctx } = this;
    const entries = ctx.outbox.undelivered(to);
    if (entries.length === 0) return;
    let user: ResolvedUser;
    try {
      user = await this.#resolve(to);
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
    // No addresses and no open link: offline, so mail at once — unless presence says it is
    // online and merely not announced yet (it just logged in): then wait a little first.
    const noRoute = user.addresses.length === 0 && ctx.links.current(user.peerId) === undefined;
    const attempt = this.#retries.get(to)?.attempt ?? 0;
    if (
      noRoute && this.mailDrop?.isOnline(to) && attempt < ONLINE_WITHOUT_ADDRESSES_RETRIES
    ) {
      throw new Error(`${to} is online but has not announced its addresses yet`);
    }
    let unreachable = this.mailDrop !== undefined && noRoute;
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
      const id = toHex(entry.messageId);
      if (unreachable) {
        await this.#mail(entry, envelope);
        continue;
      }
      const sentOn = this.#sentOn.get(id);
      if (sentOn !== undefined && sentOn === ctx.links.current(user.peerId)) continue;
      try {
        this.#sentOn.set(id, await ctx.links.send(user.peerId, envelope));
      } catch (err: unknown) {
        this.forget(to); // its addresses or key may have changed: ask the directory next time
        if (this.mailDrop === undefined) throw err;
        ctx.log.debug(`cannot reach ${to} (${(err as Error).message}); mailing instead`);
        unreachable = true;
        await this.#mail(entry, envelope);
      }
    }
  }

  /**
   * Deposits the unacknowledged message `id` in its recipient's mailbox now (its recipient did
   * not acknowledge it directly in time). Returns false when it needs no mailing (delivered,
   * failed, held or not encrypted yet).
   * @throws RemoteError when the mailbox refuses it; an Error when the rendezvous is unreachable.
   */
  async mailNow(id: MessageIdHex): Promise<boolean> {
    const messageId = fromHex(id);
    const entry = this.ctx.outbox.get(messageId);
    if (entry?.envelope === undefined || this.mailDrop === undefined) return false;
    if (entry.status !== "sent") return entry.status === "queued";
    await this.mailDrop.deposit(entry.recipient, entry.envelope);
    this.#sentOn.delete(id);
    if (this.ctx.outbox.queue(messageId, this.ctx.now())) {
      this.ctx.emit({ type: "queued", id, to: entry.recipient });
    }
    return true;
  }

  /** Deposits one encrypted message in its recipient's mailbox and marks it queued. */
  async #mail(entry: OutboxEntry, envelope: Uint8Array): Promise<void> {
    const { ctx } = this;
    const id = toHex(entry.messageId);
    try {
      await this.mailDrop!.deposit(entry.recipient, envelope);
    } catch (err: unknown) {
      if (err instanceof RemoteError && FINAL_MAILBOX_REFUSALS.has(err.status)) {
        return this.#failAll([entry], `the rendezvous mailbox refused it: ${err.message}`);
      }
      if (err instanceof RemoteError && err.status === "E_WRONG_RECIPIENT") {
        this.forget(entry.recipient);
      }
      throw err;
    }
    this.#sentOn.delete(id);
    if (ctx.outbox.queue(entry.messageId, ctx.now())) {
      ctx.emit({ type: "queued", id, to: entry.recipient });
    }
  }

  /** Records that the message `id` needs no more sending (acknowledged or failed). */
  settled(id: MessageIdHex): void {
    this.#sentOn.delete(id);
    this.#written.delete(id);
    this.#quiet.delete(id);
  }

  /** Whether the message `id` was written quiet (a receipt): its events are not shown. */
  isQuiet(id: MessageIdHex): boolean {
    return this.#quiet.has(id);
  }

  /** `to` from the directory, reused for RESOLVE_TTL_MS while its key stays trusted. */
  async #resolve(to: string): Promise<ResolvedUser> {
    const cached = this.#resolved.get(to);
    if (cached && this.ctx.now() - cached.at < RESOLVE_TTL_MS) return cached.user;
    const user = await this.ctx.directory.resolve(to, this.ctx.now());
    if (user.standing === "trusted" || user.standing === "new") {
      this.#resolved.set(to, { user: { ...user, standing: "trusted" }, at: this.ctx.now() });
    } else {
      this.#resolved.delete(to);
    }
    return user;
  }

  async #encrypt(entry: OutboxEntry, user: ResolvedUser): Promise<Uint8Array> {
    const { ctx } = this;
    const id = toHex(entry.messageId);
    const content = this.#written.get(id) ??
      await openAtRest(ctx.profile.storageKey, entry.body, bodyContext("outbox", entry.messageId));
    this.#written.delete(id);
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
      this.settled(toHex(entry.messageId));
      this.ctx.outbox.setStatus(entry.messageId, "failed", this.ctx.now(), reason);
      this.ctx.emit({ type: "failed", id: toHex(entry.messageId), to: entry.recipient, reason });
    }
  }

  #blocked(username: string): boolean {
    return this.ctx.contacts.get(username)?.verified ?? false;
  }
}
