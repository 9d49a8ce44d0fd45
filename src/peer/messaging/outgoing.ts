/**
 * Outgoing messages: written to the outbox first (so nothing is lost), then encrypted for the
 * recipient's trusted key and sent over the chat link, and resent until acknowledged. When the
 * recipient cannot be reached, the same signed envelope goes to its mailbox at the rendezvous
 * (queued) and is delivered when the recipient's receipt comes back. Messages to a user whose
 * key changed are held: not sent until the user trusts the key and resends them
 * (contact_trust.ts).
 *
 * Every collaborator is a small interface (outgoing_ports.ts), so this runs in tests on in-memory
 * SQLite with fakes. Recipients are resolved through recipient_cache.ts, retried on
 * retry_schedule.ts's pauses, and a mailbox's refusal is judged by mail_refusal.ts.
 */
import { fromHex, toHex } from "../../crypto/bytes.ts";
import { StatementError } from "../../crypto/statements.ts";
import { RemoteError } from "../../errors.ts";
import { KeyedMutex } from "../../net/keyed_mutex.ts";
import { MAX_ENVELOPES_PER_FRAME } from "../../protocol/limits.ts";
import type { ResolvedUser } from "../directory.ts";
import type { MessageIdHex, PeerEvent } from "../events.ts";
import type { OutboxEntry } from "../store/outbox.ts";
import { isAccepted } from "../trust.ts";
import type { LinkToken } from "./chat_links.ts";
import { judgeMailRefusal } from "./mail_refusal.ts";
import { envelopesOf } from "./chunk_envelopes.ts";
import type { FlushOutcome, OutgoingPorts } from "./outgoing_ports.ts";
import { newMessages, OutboxWriter } from "./outbox_writer.ts";
import { RecipientCache } from "./recipient_cache.ts";
import { RetrySchedule } from "./retry_schedule.ts";
import { ResetTracker } from "./reset_tracker.ts";

// For the peer's wiring, which takes it from here (src/peer/peer.ts).

/**
 * Flushes that wait for a recipient who is online but has no addresses yet (it is still
 * announcing them) before mailing instead.
 */
const ONLINE_WITHOUT_ADDRESSES_RETRIES = 2;

const DONE: FlushOutcome = { retry: false };

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
  /** Pending retries of recipients whose last flush failed. */
  readonly #retries = new RetrySchedule();
  /** Writes new messages, and gives their contents to encrypt (outbox_writer.ts). */
  readonly #outbox: OutboxWriter;
  /** Messages whose events the user does not see (receipts), until settled. */
  readonly #quiet = new Set<MessageIdHex>();
  /** Recently resolved recipients. */
  readonly #resolved: RecipientCache;
  /** What session resets need to know of our messages and recipients (reset_tracker.ts). */
  readonly #resets = new ResetTracker();

  constructor(private readonly ports: OutgoingPorts) {
    this.#resolved = new RecipientCache(ports.resolver, ports.now);
    this.#outbox = new OutboxWriter(ports.stores);
  }

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
    return (await this.writeAll([to], text, kind, payload, quiet))[0]!;
  }

  /**
   * Writes the same message to each of `recipients` (a message of its own, with its own id, to
   * each) into the outbox in ONE transaction, so that either all of them are written or none;
   * then starts sending each. Returns their ids, in the order of `recipients`.
   */
  async writeAll(
    recipients: readonly string[],
    text: string,
    kind = "",
    payload: Uint8Array = new Uint8Array(0),
    quiet = false,
  ): Promise<MessageIdHex[]> {
    const from = (to: string) => this.ports.senderName?.(to) ?? this.ports.username;
    const messages = newMessages(recipients, from, { text, kind, payload }, this.ports.now());
    const ids = messages.map((m) => toHex(m.messageId));
    if (quiet) { for (const id of ids) this.#quiet.add(id); }
    const written = await this.#outbox.writeAll(messages);
    for (const [i, { held }] of written.entries()) {
      const to = recipients[i]!;
      if (held) this.keyChanged(to, this.#blocked(to));
      else void this.flush(to);
    }
    return ids;
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
        this.#retries.later(to, outcome.notBeforeMs ?? 0, () => {
          this.forget(to);
          void this.flush(to);
        });
      } else {
        this.#retries.clear(to);
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
    this.#retries.close();
  }

  /**
   * The next flush of `to` asks the directory again (it came or went, or its key was trusted).
   * What was known is kept only to mail `to` while its home node cannot be reached (#resolve).
   */
  forget(to: string): void {
    this.#resolved.forget(to);
  }

  /** One attempt at sending `to`'s undelivered messages; says whether to try again later. */
  async #flush(to: string): Promise<FlushOutcome> {
    const { stores, links, mail } = this.ports;
    const entries = stores.outbox.undelivered(to);
    if (entries.length === 0) return DONE;
    let user: ResolvedUser;
    try {
      user = await this.#resolved.resolve(to);
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
    const attempt = this.#retries.attempts(to);
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

  /** The envelopes of `chunk` for `user` (chunk_envelopes.ts). */
  #envelopes(chunk: readonly OutboxEntry[], user: ResolvedUser) {
    return envelopesOf(chunk, user, {
      encryptor: this.ports.encryptor,
      content: (entry) => this.#content(entry),
      fail: (entry, reason) => this.#failAll([entry], reason),
      encrypted: (id) => this.#resets.encrypted(id, this.ports.now()),
    });
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
      const refusal = judgeMailRefusal(err, entry.recipient);
      if (refusal.verdict === "fail") return this.#failAll([entry], refusal.reason);
      if (refusal.verdict === "wait") {
        this.ports.emit({ type: "notice", text: refusal.notice });
        const { notBeforeMs } = refusal;
        return { retry: true, why: `${entry.recipient}'s mailbox is full`, notBeforeMs };
      }
      if (refusal.forget) this.#resolved.drop(entry.recipient);
      return { retry: true, why: refusal.why };
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
    this.#resets.settled(id);
    this.#outbox.forget(id);
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
    const decision = this.#resets.decide(id, to, entry.envelope !== undefined, now);
    if (decision === "ignore") return;
    if (decision === "fail") {
      this.#failAll([entry], `${to} cannot decrypt it even on a new session: ${reason}`);
      return;
    }
    if (decision === "resend") {
      if (stores.outbox.reencrypt(messageId, now)) this.#sentOn.delete(id);
    } else {
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
    this.#resolved.drop(username);
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
   * The plaintext of `entry`, or undefined when its stored body cannot be opened (sealed with
   * another storage key, or damaged): that one message is marked failed with the reason, so it
   * does not hold up the messages after it.
   */
  async #content(entry: OutboxEntry): Promise<Uint8Array | undefined> {
    try {
      return await this.#outbox.content(entry);
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
