/**
 * Watches our mail for other nodes' users that our home accepted: while any may still wait in the
 * home's forwarding queue ("queued for work"), it asks FORWARD_STATUS at login and then every
 * interval, and turns each answer into what the user sees — forwarded (in the remote mailbox,
 * delivered when the receipt comes), failed with the remote's reason, or deposited again after
 * the pause a retryable refusal (E_REMOTE_QUOTA, E_MAILBOX_FULL …) names. Nothing is dropped
 * silently: a message stays queued in the outbox until one of those happens.
 */
import { fromHex, toHex } from "../../crypto/bytes.ts";
import type { Logger } from "../../log.ts";
import { ForwardState, MailboxStatus } from "../../proto/mailbox.ts";
import { MAX_FORWARD_STATUS_IDS } from "../../protocol/limits.ts";
import type { MessageIdHex } from "../events.ts";
import type { OutboxStore } from "../store/outbox.ts";

/** How often queued forwards are asked about while any are waiting. */
export const FORWARD_POLL_MS = 30_000;
/** The pause before depositing again after a retryable refusal that names none. */
const RETRY_WITHOUT_PAUSE_MS = 60_000;

/** Retryable refusals: the message is deposited again later. */
const RETRYABLE: ReadonlySet<MailboxStatus> = new Set([
  MailboxStatus.E_MAILBOX_FULL,
  MailboxStatus.E_SENDER_QUOTA,
  MailboxStatus.E_REMOTE_QUOTA,
  MailboxStatus.E_UNAVAILABLE,
]);

/** What ForwardWatch works with. */
export interface ForwardWatchPorts {
  readonly outbox: Pick<OutboxStore, "queuedRemote" | "get" | "setStatus">;
  /**
   * Asks our home where these message ids stand.
   * @throws RemoteError or an Error when it cannot be asked now.
   */
  readonly status: (messageIds: readonly Uint8Array[]) => Promise<ForwardState[]>;
  /** It reached `server`'s mailbox. */
  readonly forwarded: (id: MessageIdHex, to: string, server: string) => void;
  /** `server` refused it for good. */
  readonly failed: (id: MessageIdHex, to: string, reason: string) => void;
  /** Deposit it again (its status is back to sent), not before `afterMs`. */
  readonly retry: (to: string, afterMs: number) => void;
  readonly now: () => number;
  readonly log: Logger;
  /** FORWARD_POLL_MS unless given (tests shorten it). */
  readonly intervalMs?: number;
}

/** Polls FORWARD_STATUS for our queued mail to other nodes. */
export class ForwardWatch {
  /** Ids known to be in the remote mailbox (no need to ask again). */
  readonly #forwarded = new Set<MessageIdHex>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly ports: ForwardWatchPorts) {}

  /** Asks now (login, or a message was just queued at home), then every interval while needed. */
  poke(): void {
    if (this.#stopped) return;
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = undefined;
      this.#arm();
    });
  }

  /** Stops polling. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #waiting() {
    return this.ports.outbox.queuedRemote(MAX_FORWARD_STATUS_IDS + this.#forwarded.size)
      .filter((entry) => !this.#forwarded.has(toHex(entry.messageId)))
      .slice(0, MAX_FORWARD_STATUS_IDS);
  }

  #arm(): void {
    if (this.#stopped || this.#timer !== undefined || this.#waiting().length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.poke();
    }, this.ports.intervalMs ?? FORWARD_POLL_MS);
  }

  async #poll(): Promise<void> {
    const waiting = this.#waiting();
    if (waiting.length === 0) return;
    let states: ForwardState[];
    try {
      states = await this.ports.status(waiting.map((e) => e.messageId));
    } catch (err: unknown) {
      this.ports.log.debug(`cannot ask where forwarded mail stands: ${(err as Error).message}`);
      return;
    }
    for (const [i, entry] of waiting.entries()) {
      const state = states[i];
      if (state === undefined) continue;
      this.#apply(toHex(entry.messageId), entry.recipient, state);
    }
  }

  #apply(id: MessageIdHex, to: string, state: ForwardState): void {
    const server = to.slice(to.indexOf("@") + 1);
    switch (state.state) {
      case ForwardState.State.DELIVERED:
        this.#forwarded.add(id);
        this.ports.forwarded(id, to, server);
        return;
      case ForwardState.State.FAILED: {
        const messageId = fromHex(id);
        const why = state.statusText || state.status;
        if (this.ports.outbox.get(messageId)?.status !== "queued") return;
        if (RETRYABLE.has(state.status)) {
          this.ports.outbox.setStatus(messageId, "sent", this.ports.now());
          this.ports.retry(to, Number(state.retryAfterMs) || RETRY_WITHOUT_PAUSE_MS);
          return;
        }
        const reason = `${server} refused it: ${why}`;
        this.ports.outbox.setStatus(messageId, "failed", this.ports.now(), reason);
        this.ports.failed(id, to, reason);
        return;
      }
      case ForwardState.State.UNKNOWN:
        // Forwarded long ago, or a deposit our home never took from us: nothing to ask again.
        this.#forwarded.add(id);
        return;
      default:
        return; // still queued at home
    }
  }
}
