/**
 * Outgoing messages: written to the outbox first (so nothing is lost), then encrypted for the
 * recipient's trusted key and sent over the chat link, and resent until acknowledged. When the
 * recipient cannot be reached, the same signed envelope goes to its mailbox at the rendezvous
 * (queued) and is delivered when the recipient's receipt comes back. Messages to a user whose
 * key changed are held: not sent until the user trusts the key and resends them
 * (contact_trust.ts).
 *
 * Every collaborator is a small interface (stores, encryptor, resolver, links, mail drop,
 * presence, clock, event sink), so this runs in tests on in-memory SQLite with fakes.
 */
import type { DatabaseSync } from "node:sqlite";
import type { PeerId } from "@libp2p/interface";
import { fromHex, toHex } from "../../crypto/bytes.ts";
import { newMessageId } from "../../crypto/envelope.ts";
import { StatementError } from "../../crypto/statements.ts";
import { X3dhError } from "../../crypto/x3dh.ts";
import { RemoteError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { backoffDelay } from "../../net/backoff.ts";
import { KeyedMutex } from "../../net/keyed_mutex.ts";
import { Content } from "../../proto/chat.ts";
import { MAX_ENVELOPES_PER_FRAME } from "../../protocol/limits.ts";
import { transaction } from "../../store/database.ts";
import type { ResolvedUser } from "../directory.ts";
import type { MessageIdHex, PeerEvent } from "../events.ts";
import { openOutboxBody, sealOutgoingBody } from "../store/outbox_body.ts";
import type { ContactStore } from "../store/contacts.ts";
import { type HistoryStore, keptInHistory } from "../store/history.ts";
import type { OutboxEntry, OutboxStore } from "../store/outbox.ts";
import { isAccepted } from "../trust.ts";
import type { LinkToken } from "./chat_links.ts";
import { decideReset, ResetWindow } from "./session_reset.ts";

/** How long a resolved recipient (key, addresses) is reused before asking the rendezvous again. */
export const RESOLVE_TTL_MS = 60_000;
/** Contents kept in memory between writing and encrypting; beyond, they are read back. */
const MAX_WRITTEN_IN_MEMORY = 10_000;
/** The pause before the first retry of a recipient (before jitter). */
export const RETRY_MIN_MS = 1000;
/** The longest pause between attempts to reach a recipient with undelivered messages. */
export const RETRY_MAX_MS = 60_000;
/**
 * Flushes that wait for a recipient who is online but has no addresses yet (it is still
 * announcing them) before mailing instead.
 */
const ONLINE_WITHOUT_ADDRESSES_RETRIES = 2;

/** The stores outgoing messages are written to, and the key that seals their bodies. */
export interface OutgoingStores {
  readonly db: DatabaseSync;
  readonly outbox: OutboxStore;
  readonly history: HistoryStore;
  readonly contacts: Pick<ContactStore, "get">;
  /** Seals the outbox and history bodies at rest. */
  readonly storageKey: Uint8Array;
}

/** An outbox entry to encrypt, and its plaintext. */
export interface ToEncrypt {
  readonly entry: OutboxEntry;
  readonly content: Uint8Array;
}

/** Turns outbox entries into the signed envelopes for their recipient. */
export interface Encryptor {
  /**
   * Encrypts each of `items` for `user`, in order, and signs the envelopes; saves the advanced
   * session and the envelopes in the outbox in ONE transaction. Returns the envelopes, in order.
   * @throws X3dhError or StatementError when no secure session can be started (nothing is
   * saved).
   */
  encryptAll(items: readonly ToEncrypt[], user: ResolvedUser): Promise<Uint8Array[]>;
  /**
   * Drops every session with `username` (a session reset): the next message starts a new one.
   * Absent in encryptors that keep no sessions.
   */
  resetSessions?(username: string, identityKey: Uint8Array): Promise<void>;
}

/** Finds a recipient's key and addresses. */
export interface RecipientResolver {
  /**
   * Resolves `username` through the directory and judges its key.
   * @throws RemoteError E_NOT_FOUND for an unknown user; StatementError for a bad certificate.
   */
  resolve(username: string, now: number): Promise<ResolvedUser>;
}

/** The chat links envelopes go out on. */
export interface LinkSender {
  /**
   * Sends an envelope to `peer`; returns the link used.
   * @throws when the peer cannot be reached.
   */
  send(peer: PeerId, envelope: Uint8Array): Promise<LinkToken>;
  /** The link that sends to `peer` now, if any. */
  current(peer: PeerId): LinkToken | undefined;
}

/** Where messages go when their recipient cannot be reached directly. */
export interface MailDeposit {
  /**
   * Leaves a signed envelope in `to`'s mailbox; resolves once the rendezvous committed it — in
   * the mailbox, or (`queuedFor`, for another node's user) in our home's forwarding queue.
   * @throws RemoteError when the mailbox refuses it; an Error when it cannot be reached.
   */
  deposit(to: string, envelope: Uint8Array): Promise<{ readonly queuedFor?: string }>;
}

/** What presence says. */
export interface Presence {
  /** Whether `username` is online at the rendezvous. */
  isOnline(username: string): boolean;
}

/** Everything Outgoing works with. */
export interface OutgoingPorts {
  /** Our username. */
  readonly username: string;
  /** The sender named in the content of a message to `to` (`alice@home` for another node's). */
  readonly senderName?: (to: string) => string;
  readonly stores: OutgoingStores;
  readonly encryptor: Encryptor;
  readonly resolver: RecipientResolver;
  readonly links: LinkSender;
  /** The recipient's mailbox; without it, unreachable recipients are retried until reached. */
  readonly mail?: MailDeposit & Presence;
  readonly now: () => number;
  /** Receives the events of our messages (quiet messages' events are not passed on). */
  readonly emit: (event: PeerEvent) => void;
  readonly log: Logger;
}

/** What one flush of a recipient decided: done, or try again later. */
export type FlushOutcome = { readonly retry: false } | {
  readonly retry: true;
  readonly why: string;
  /** The least pause before the retry (the rendezvous said when a full mailbox may take it). */
  readonly notBeforeMs?: number;
};

const DONE: FlushOutcome = { retry: false };

/**
 * Mailbox refusals that make the message fail (reported to the user, never resent): retrying
 * would not help.
 */
const FINAL_MAILBOX_REFUSALS = new Set([
  "E_UNKNOWN_SERVER",
  "E_TOO_LARGE",
  "E_NOT_FOUND",
  "E_INVALID_USERNAME",
  "E_KEY_RETIRED",
]);
/**
 * Mailbox refusals that pass: the recipient's mailbox is full, or holds all it takes from us,
 * until the recipient fetches. The message waits in the outbox (the user is told) and is
 * deposited again after the pause the rendezvous names, or FULL_MAILBOX_RETRY_MS.
 */
const FULL_MAILBOX_REFUSALS = new Set(["E_MAILBOX_FULL", "E_SENDER_QUOTA", "E_REMOTE_QUOTA"]);
/** The pause before depositing again in a full mailbox when the rendezvous names none. */
export const FULL_MAILBOX_RETRY_MS = 10 * 60_000;

/** The `queuedFor` of a queued event, when our home holds the message for another node. */
function queuedAt(queuedFor: string | undefined): { queuedFor?: string } {
  return queuedFor === undefined ? {} : { queuedFor };
}

/** Sends and resends what is in the outbox, one recipient at a time. */
export class Outgoing {
  /** One flush of a recipient at a time. */
  readonly #flushes = new KeyedMutex<string>();
  /** The flush of each recipient that has not started yet (later calls join it). */
  readonly #waiting = new Map<string, Promise<FlushOutcome>>();
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
  /** The session resets of each recipient lately (session_reset.ts). */
  readonly #resets = new ResetWindow();
  /**
   * When this process encrypted each unsettled message: a reset is recent only within this
   * process, so an envelope not here was made before it (on the dropped session).
   */
  readonly #encryptedAt = new Map<MessageIdHex, number>();
  /** Messages refused once on a new session and encrypted again (decideReset's `retried`). */
  readonly #retriedAfterReset = new Set<MessageIdHex>();

  constructor(private readonly ports: OutgoingPorts) {}

  /**
   * Writes a message to `to` into the outbox (and a chat message into the history), then starts
   * sending it. `kind` and `payload` carry another feature's message (see ContentHandler).
   * Returns its id; the outcome arrives as a delivered or failed event. A `quiet` message's
   * events are for the peer itself (a receipt): they are not passed on.
   */
  async write(
    to: string,
    text: string,
    kind = "",
    payload: Uint8Array = new Uint8Array(0),
    quiet = false,
  ): Promise<MessageIdHex> {
    const { stores } = this.ports;
    const now = this.ports.now();
    const messageId = newMessageId();
    const content = Content.encode({
      from: this.ports.senderName?.(to) ?? this.ports.username,
      text,
      sentAt: BigInt(now),
      kind,
      payload,
    });
    if (this.#written.size < MAX_WRITTEN_IN_MEMORY) this.#written.set(toHex(messageId), content);
    if (quiet) this.#quiet.add(toHex(messageId));
    const body = await sealOutgoingBody(stores.storageKey, content, messageId);
    const held = stores.contacts.get(to)?.pendingKey !== undefined;
    transaction(stores.db, () => {
      stores.outbox.add({
        messageId,
        recipient: to,
        body,
        status: held ? "held" : "pending",
        createdAt: now,
      });
      if (keptInHistory(kind)) {
        stores.history.add(
          { messageId, peer: to, outgoing: true, sentAt: now, body },
          now,
        );
      }
    });
    if (held) this.keyChanged(to, this.#blocked(to));
    else void this.flush(to);
    return toHex(messageId);
  }

  /**
   * Sends `to`'s undelivered messages, after any flush of `to` already running. Calls made while
   * a flush is waiting to start share it. A flush that does not finish schedules a retry;
   * resolves with what the flush decided.
   */
  flush(to: string): Promise<FlushOutcome> {
    const waiting = this.#waiting.get(to);
    if (waiting) return waiting;
    const next = this.#flushes.run(to, async () => {
      this.#waiting.delete(to);
      let outcome: FlushOutcome;
      try {
        outcome = await this.#flush(to);
      } catch (err: unknown) {
        outcome = { retry: true, why: err instanceof Error ? err.message : String(err) };
      }
      if (outcome.retry) {
        this.ports.log.warn(`sending to ${to} failed: ${outcome.why}`);
        this.#retryLater(to, outcome.notBeforeMs ?? 0);
      } else {
        clearTimeout(this.#retries.get(to)?.timer);
        this.#retries.delete(to);
      }
      return outcome;
    });
    this.#waiting.set(to, next);
    return next;
  }

  /** Flushes every recipient the outbox holds undelivered messages for. */
  flushAll(): void {
    for (const to of this.ports.stores.outbox.recipientsWithUndelivered()) void this.flush(to);
  }

  /** Stops retrying (the peer is stopping). */
  close(): void {
    this.#closed = true;
    for (const { timer } of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
  }

  /** Schedules another flush of `to` after a growing, jittered pause (about 1 s … 60 s). */
  #retryLater(to: string, notBeforeMs: number): void {
    if (this.#closed) return;
    const attempt = (this.#retries.get(to)?.attempt ?? 0) + 1;
    clearTimeout(this.#retries.get(to)?.timer);
    const delay = Math.max(
      notBeforeMs,
      backoffDelay(attempt - 1, { minMs: RETRY_MIN_MS, maxMs: RETRY_MAX_MS }),
    );
    const timer = setTimeout(() => {
      this.forget(to);
      void this.flush(to);
    }, delay);
    this.#retries.set(to, { timer, attempt });
  }

  /**
   * The next flush of `to` asks the directory again (it came or went, or its key was trusted).
   * What was known is kept only to mail `to` while its home node cannot be reached (#resolve).
   */
  forget(to: string): void {
    const known = this.#resolved.get(to);
    if (known !== undefined) this.#resolved.set(to, { user: known.user, at: -Infinity });
  }

  /** One attempt at sending `to`'s undelivered messages; says whether to try again later. */
  async #flush(to: string): Promise<FlushOutcome> {
    const { stores, links, mail } = this.ports;
    const entries = stores.outbox.undelivered(to);
    if (entries.length === 0) return DONE;
    let user: ResolvedUser;
    try {
      user = await this.#resolve(to);
    } catch (err: unknown) {
      if (err instanceof RemoteError && err.status === "E_NOT_FOUND") {
        const where = to.includes("@") ? "" : " at this rendezvous";
        return this.#failAll(entries, `there is no user ${to}${where}`);
      }
      if (err instanceof RemoteError && err.status === "E_UNKNOWN_SERVER") {
        return this.#failAll(entries, err.message);
      }
      if (err instanceof StatementError) {
        return this.#failAll(entries, `${to}'s certificate does not verify: ${err.message}`);
      }
      return { retry: true, why: `cannot look ${to} up: ${(err as Error).message}` };
    }
    if (!isAccepted(user.standing)) {
      stores.outbox.hold(to, this.ports.now());
      this.keyChanged(to, user.standing !== "changed", user.warning);
      return DONE;
    }
    // No addresses and no open link: offline, so mail at once — unless presence says it is
    // online and merely not announced yet (it just logged in): then wait a little first.
    const noRoute = user.addresses.length === 0 && links.current(user.peerId) === undefined;
    const attempt = this.#retries.get(to)?.attempt ?? 0;
    if (noRoute && mail?.isOnline(to) && attempt < ONLINE_WITHOUT_ADDRESSES_RETRIES) {
      return { retry: true, why: `${to} is online but has not announced its addresses yet` };
    }
    const unreachable = mail !== undefined && noRoute;
    const sends: { entry: OutboxEntry; envelope: Uint8Array; sent: Promise<void> }[] = [];
    for (let at = 0; at < entries.length; at += MAX_ENVELOPES_PER_FRAME) {
      const chunk = entries.slice(at, at + MAX_ENVELOPES_PER_FRAME);
      const { envelopes, stopAt } = await this.#envelopes(chunk, user);
      for (const entry of chunk) {
        if (entry === stopAt) return DONE; // no secure session: it failed, the rest wait
        const envelope = envelopes.get(toHex(entry.messageId));
        if (envelope === undefined) continue; // it cannot be opened: failed, the rest flow
        const id = toHex(entry.messageId);
        if (unreachable) {
          const mailed = await this.#mail(entry, envelope);
          if (mailed.retry) return mailed;
          continue;
        }
        const sentOn = this.#sentOn.get(id);
        if (sentOn !== undefined && sentOn === links.current(user.peerId)) continue;
        // Not awaited one by one: the envelopes made while a frame is being written go
        // together in the next frame (chat_links.ts). A failure is handled below, in order.
        const sent = links.send(user.peerId, envelope).then((link) => {
          this.#sentOn.set(id, link);
        });
        sent.catch(() => {});
        sends.push({ entry, envelope, sent });
      }
    }
    for (const { entry, envelope, sent } of sends) {
      try {
        await sent;
      } catch (err: unknown) {
        this.forget(to); // its addresses or key may have changed: ask the directory next time
        const why = `cannot reach ${to}: ${(err as Error).message}`;
        if (mail === undefined) return { retry: true, why };
        this.ports.log.debug(`${why}; mailing instead`);
        const mailed = await this.#mail(entry, envelope);
        if (mailed.retry) return mailed;
      }
    }
    return DONE;
  }

  /**
   * The envelopes of `chunk`, by id: the stored ones, and the others encrypted together (one
   * lock, one transaction). An entry whose body cannot be opened fails alone and has none. When
   * no secure session can be started, the first entry to encrypt fails and is `stopAt`.
   */
  async #envelopes(
    chunk: readonly OutboxEntry[],
    user: ResolvedUser,
  ): Promise<{ envelopes: Map<MessageIdHex, Uint8Array>; stopAt?: OutboxEntry }> {
    const envelopes = new Map<MessageIdHex, Uint8Array>();
    const items: ToEncrypt[] = [];
    for (const entry of chunk) {
      if (entry.envelope !== undefined) envelopes.set(toHex(entry.messageId), entry.envelope);
      else {
        const content = await this.#content(entry);
        if (content !== undefined) items.push({ entry, content });
      }
    }
    if (items.length === 0) return { envelopes };
    let encrypted: Uint8Array[];
    try {
      encrypted = await this.ports.encryptor.encryptAll(items, user);
    } catch (err: unknown) {
      if (err instanceof X3dhError || err instanceof StatementError) {
        const stopAt = items[0]!.entry;
        this.#failAll([stopAt], `cannot start a secure session: ${err.message}`);
        return { envelopes, stopAt };
      }
      throw err;
    }
    const now = this.ports.now();
    for (const [i, { entry }] of items.entries()) {
      envelopes.set(toHex(entry.messageId), encrypted[i]!);
      this.#encryptedAt.set(toHex(entry.messageId), now);
    }
    return { envelopes };
  }

  /**
   * Deposits the unacknowledged message `id` in its recipient's mailbox now (its recipient did
   * not acknowledge it directly in time). Returns false when it needs no mailing (delivered,
   * failed, held or not encrypted yet).
   * @throws RemoteError when the mailbox refuses it; an Error when the rendezvous is unreachable.
   */
  async mailNow(id: MessageIdHex): Promise<boolean> {
    const { stores, mail } = this.ports;
    const messageId = fromHex(id);
    const entry = stores.outbox.get(messageId);
    if (entry?.envelope === undefined || mail === undefined) return false;
    if (entry.status !== "sent") return entry.status === "queued";
    const { queuedFor } = await mail.deposit(entry.recipient, entry.envelope);
    this.#sentOn.delete(id);
    if (stores.outbox.queue(messageId, this.ports.now())) {
      this.#report({ type: "queued", id, to: entry.recipient, ...queuedAt(queuedFor) });
    }
    return true;
  }

  /** Deposits one encrypted message in its recipient's mailbox and marks it queued. */
  async #mail(entry: OutboxEntry, envelope: Uint8Array): Promise<FlushOutcome> {
    const { stores } = this.ports;
    const id = toHex(entry.messageId);
    let queuedFor: string | undefined;
    try {
      ({ queuedFor } = await this.ports.mail!.deposit(entry.recipient, envelope));
    } catch (err: unknown) {
      if (err instanceof RemoteError && FINAL_MAILBOX_REFUSALS.has(err.status)) {
        this.#failAll([entry], `the rendezvous mailbox refused it: ${err.message}`);
        return DONE;
      }
      if (err instanceof RemoteError && FULL_MAILBOX_REFUSALS.has(err.status)) {
        const notBeforeMs = err.retryAfterMs ?? FULL_MAILBOX_RETRY_MS;
        const what = err.status === "E_REMOTE_QUOTA"
          ? `${entry.recipient}'s server takes no more mail from this rendezvous now`
          : `${entry.recipient}'s mailbox is full`;
        this.ports.emit({
          type: "notice",
          text: `${what} (${err.message}); your message waits and is tried again in ` +
            `${Math.ceil(notBeforeMs / 60_000)} min`,
        });
        return { retry: true, why: `${entry.recipient}'s mailbox is full`, notBeforeMs };
      }
      if (err instanceof RemoteError && err.status === "E_WRONG_RECIPIENT") {
        this.#resolved.delete(entry.recipient); // its key changed: what we knew is wrong now
      }
      return { retry: true, why: `cannot mail ${entry.recipient}: ${(err as Error).message}` };
    }
    this.#sentOn.delete(id);
    if (stores.outbox.queue(entry.messageId, this.ports.now())) {
      this.#report({ type: "queued", id, to: entry.recipient, ...queuedAt(queuedFor) });
    }
    return DONE;
  }

  /** Records that the message `id` needs no more sending (acknowledged or failed). */
  settled(id: MessageIdHex): void {
    this.#sentOn.delete(id);
    this.#encryptedAt.delete(id);
    this.#retriedAfterReset.delete(id);
    this.#written.delete(id);
    this.#quiet.delete(id);
  }

  /**
   * Our message `id` to `to` was delivered (incoming acknowledgement on the link it was sent
   * on, or a receipt after the mailbox).
   */
  delivered(id: MessageIdHex, to: string): void {
    // Not sent on a link (any more): it was mailed, and this is the recipient's receipt.
    this.#report({ type: "delivered", id, to, via: this.#sentOn.get(id)?.via ?? "mailbox" });
  }

  /** Our message `id` to `to` cannot be delivered, for `reason`. */
  failed(id: MessageIdHex, to: string, reason: string): void {
    this.#report({ type: "failed", id, to, reason });
  }

  /**
   * `to` answered SESSION_RESET for our message `id`: it has no session that decrypts it. The
   * first time in SESSION_RESET_WINDOW_MS, drops our sessions with `to` and sends everything
   * unacknowledged again on a new one (telling the user once); a message refused again on the
   * new session fails for good (decideReset).
   */
  async sessionReset(id: MessageIdHex, to: string, reason: string): Promise<void> {
    const { stores } = this.ports;
    const messageId = fromHex(id);
    const entry = stores.outbox.get(messageId);
    if (entry === undefined || entry.recipient !== to) return;
    if (!["pending", "sent", "queued"].includes(entry.status)) return;
    const now = this.ports.now();
    const lastReset = this.#resets.recent(to, now);
    const envelopeAt = entry.envelope ? this.#encryptedAt.get(id) ?? 0 : undefined;
    const decision = decideReset({
      ...(lastReset === undefined ? {} : { lastReset }),
      ...(envelopeAt === undefined ? {} : { envelopeAt }),
      retried: this.#retriedAfterReset.has(id),
    });
    if (decision === "ignore") return;
    if (decision === "resend" && envelopeAt !== undefined && lastReset !== undefined) {
      if (envelopeAt >= lastReset) this.#retriedAfterReset.add(id);
    }
    if (decision === "fail") {
      this.#failAll([entry], `${to} cannot decrypt it even on a new session: ${reason}`);
      return;
    }
    if (decision === "resend") {
      if (stores.outbox.reencrypt(messageId, now)) this.#sentOn.delete(id);
    } else {
      this.#resets.note(to, now);
      const identityKey = stores.contacts.get(to)?.identityKey;
      if (identityKey) await this.ports.encryptor.resetSessions?.(to, identityKey);
      const again = stores.outbox.reencryptAll(to, now);
      for (const m of again) this.#sentOn.delete(toHex(m));
      this.ports.emit({
        type: "notice",
        text: `${to}'s device has no session with you any more (its profile was repaired or ` +
          `restored): started a new secure session; sending ${again.length} unacknowledged ` +
          `message${again.length === 1 ? "" : "s"} again`,
      });
    }
    this.forget(to);
    void this.flush(to);
  }

  /**
   * `username`'s key changed (blocked when verified, or a retired key): forgets it and tells the
   * user, with `detail` when the key log says more.
   */
  keyChanged(username: string, blocked: boolean, detail?: string): void {
    this.#resolved.delete(username);
    this.ports.emit({
      type: "key-changed",
      username,
      blocked,
      ...(detail === undefined ? {} : { detail }),
    });
  }

  /** Passes the event of one of our messages on, unless the message is quiet; settles it. */
  #report(event: Extract<PeerEvent, { type: "queued" | "delivered" | "failed" }>): void {
    const quiet = this.#quiet.has(event.id);
    if (event.type !== "queued") this.settled(event.id);
    if (!quiet) this.ports.emit(event);
  }

  /**
   * `to` from the directory, reused for RESOLVE_TTL_MS while its key stays trusted. When `to`'s
   * home node cannot be reached (E_REMOTE_UNAVAILABLE), the key verified last time is used with
   * no addresses: the message is mailed, and our home holds it for that node ("queued for work");
   * should the key have changed there meanwhile, that node refuses it and the message fails.
   */
  async #resolve(to: string): Promise<ResolvedUser> {
    const cached = this.#resolved.get(to);
    if (cached && this.ports.now() - cached.at < RESOLVE_TTL_MS) return cached.user;
    let user: ResolvedUser;
    try {
      user = await this.ports.resolver.resolve(to, this.ports.now());
    } catch (err: unknown) {
      const unreachable = err instanceof RemoteError && err.status === "E_REMOTE_UNAVAILABLE";
      if (unreachable && cached !== undefined) return { ...cached.user, addresses: [] };
      throw err;
    }
    if (isAccepted(user.standing)) {
      this.#resolved.set(to, { user: { ...user, standing: "trusted" }, at: this.ports.now() });
    } else {
      this.#resolved.delete(to);
    }
    return user;
  }

  /**
   * The plaintext of `entry`, or undefined when its stored body cannot be opened (sealed with
   * another storage key, or damaged): that one message is marked failed with the reason, so it
   * does not hold up the messages after it.
   */
  async #content(entry: OutboxEntry): Promise<Uint8Array | undefined> {
    const { stores } = this.ports;
    const id = toHex(entry.messageId);
    const written = this.#written.get(id);
    this.#written.delete(id);
    if (written !== undefined) return written;
    try {
      return await openOutboxBody(stores.storageKey, entry.body, entry.messageId);
    } catch (err: unknown) {
      this.#failAll(
        [entry],
        `its stored copy cannot be opened (${(err as Error).message}): storage.key is not the ` +
          "key it was sealed with, or the copy is damaged",
      );
      return undefined;
    }
  }

  #failAll(entries: OutboxEntry[], reason: string): FlushOutcome {
    for (const entry of entries) {
      this.ports.stores.outbox.setStatus(entry.messageId, "failed", this.ports.now(), reason);
      this.failed(toHex(entry.messageId), entry.recipient, reason);
    }
    return DONE;
  }

  #blocked(username: string): boolean {
    return this.ports.stores.contacts.get(username)?.verified ?? false;
  }
}

/**
 * Marks the message `id` in `outbox` failed for `reason` unless it was delivered or queued
 * meanwhile; returns where it ends up.
 * @throws RangeError when there is no such message in the outbox.
 */
export function markOutboxFailed(
  outbox: Pick<OutboxStore, "get" | "setStatus">,
  id: MessageIdHex,
  reason: string,
  now: number,
): "delivered" | "queued" | "failed" {
  const messageId = fromHex(id);
  const status = outbox.get(messageId)?.status;
  if (status === undefined) throw new RangeError(`there is no message ${id} in the outbox`);
  if (status === "delivered" || status === "queued") return status;
  outbox.setStatus(messageId, "failed", now, reason);
  return "failed";
}
