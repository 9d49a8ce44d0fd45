/**
 * The home side of mail for remote users: a local peer deposits an envelope for `bob@work`; the
 * home checks that the depositor signed it, commits it to the forwarding queue (so nothing is
 * lost across a kill -9 from here on), and forwards it to `work` with the depositor's
 * certificate. It waits up to `forwardWaitMs` for `work`'s verdict, which it passes back;
 * without one it answers "queued for work" and keeps trying, with backoff, until `work` answers.
 * An envelope leaves the queue only when `work` answered: accepted (work's mailbox committed it,
 * and dedups a repeat by sender key and message id) or refused (its status is kept for
 * FORWARD_STATUS). Unreachable, E_UNAVAILABLE, E_INTERNAL and E_NOT_AUTHORIZED (work does not
 * list us yet) are retried.
 */
import { EnvelopeError, openEnvelope } from "../../crypto/envelope.ts";
import type { Logger } from "../../log.ts";
import { backoffDelay } from "../../net/backoff.ts";
import { FederationRequest, FederationStatus } from "../../proto/federation.ts";
import { ForwardState, MailboxStatus } from "../../proto/mailbox.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { bytesEqual, toHex } from "../../crypto/bytes.ts";
import type { DepositAnswer } from "../accept_mail.ts";
import type { Certifier } from "../certifier.ts";
import type { FederationLimits, MailboxLimits } from "../constants.ts";
import type { Metrics } from "../metrics.ts";
import type { AccountStore } from "../store/accounts.ts";
import {
  ForwardQueueFullError,
  type ForwardQueueStore,
  type ForwardRow,
} from "../store/forward_queue.ts";
import type { FederatedNode } from "./federated_node.ts";
import { type FederationLinks, LinkError } from "./links.ts";
import { asMailboxStatus } from "./statuses.ts";

/** What forwarding works with. */
export interface ForwarderDeps {
  readonly links: FederationLinks;
  readonly queue: ForwardQueueStore;
  readonly accounts: AccountStore;
  readonly certifier: Certifier;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly limits: FederationLimits;
  readonly mailboxLimits: MailboxLimits;
}

/** A deposit for a remote user: from a logged-in local user, signed by its identity key. */
export interface RemoteDeposit {
  readonly recipient: string;
  readonly sender: string;
  readonly senderKey: Uint8Array;
  readonly envelope: Uint8Array;
}

/** A deposit's answer; `queuedFor` names the server when it is held here for later. */
export type RemoteDepositAnswer = DepositAnswer & { readonly queuedFor?: string };

/** Envelopes forwarded in one drain before the next is scheduled. */
const DRAIN_BATCH = 50;

/**
 * Forwards in flight at once per node while draining its queue: each waits a round trip and the
 * remote's commit, so one at a time caps a backlog at one envelope per round trip. Each row still
 * leaves the queue only on its own answer.
 */
export const FORWARDS_IN_FLIGHT = 8;

/** Forwards queued mail to the federated nodes. */
export class Forwarder {
  readonly #attempts = new Map<number, Promise<void>>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #draining = new Set<string>();
  readonly #linkFailures = new Map<string, number>();
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: ForwarderDeps) {}

  /** Forwards what is due for every node now, and all queued for a node whenever its link comes up. */
  start(): void {
    this.#unsubscribe = this.deps.links.onUp((name) => {
      this.deps.queue.makeDue(name, this.deps.now());
      this.#linkFailures.delete(name);
      this.#schedule(name, 0);
    });
    for (const { node } of this.deps.links.statuses()) this.#schedule(node.name, 0);
  }

  /** Stops forwarding (what is queued stays queued) and waits for attempts in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    await Promise.allSettled([...this.#attempts.values()]);
  }

  /**
   * Checks, commits and forwards `deposit` for a user of `node`; answers with `node`'s verdict,
   * or OK with `queuedFor` when it is held here for later.
   */
  async deposit(node: FederatedNode, deposit: RemoteDeposit): Promise<RemoteDepositAnswer> {
    let recipient: string;
    try {
      recipient = normalizeUsername(deposit.recipient);
    } catch (err: unknown) {
      return answer(MailboxStatus.E_INVALID_USERNAME, (err as RangeError).message);
    }
    const { maxEnvelopeBytes, ttlMs, fullRetryAfterMs } = this.deps.mailboxLimits;
    if (deposit.envelope.length > maxEnvelopeBytes) {
      return answer(
        MailboxStatus.E_TOO_LARGE,
        `the message is ${deposit.envelope.length} bytes; the mailbox takes at most ` +
          `${maxEnvelopeBytes}`,
      );
    }
    let messageId: Uint8Array;
    try {
      messageId = (await openEnvelope(deposit.envelope, deposit.senderKey)).messageId;
    } catch (err: unknown) {
      if (!(err instanceof EnvelopeError)) throw err;
      return answer(MailboxStatus.E_INVALID_SIGNATURE, err.message);
    }
    const now = this.deps.now();
    let row: ForwardRow;
    try {
      row = this.deps.queue.enqueue(
        { ...deposit, recipient, server: node.name, messageId },
        now,
        now + ttlMs,
        this.deps.limits.maxQueuedPerSender,
      );
    } catch (err: unknown) {
      if (!(err instanceof ForwardQueueFullError)) throw err;
      return answer(MailboxStatus.E_SENDER_QUOTA, `${err.message}; retry later`, {
        retryAfterMs: BigInt(fullRetryAfterMs),
      });
    }
    if (row.state === "queued" && !this.deps.links.isDown(node.name)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.deps.limits.forwardWaitMs);
      });
      await Promise.race([this.#attempt(row), waited]);
      clearTimeout(timer);
    }
    return outcome(this.deps.queue.get(row.id) ?? row);
  }

  /** Where the envelopes `sender` deposited with these message ids stand (UNKNOWN if none). */
  status(sender: string, messageIds: readonly Uint8Array[]): ForwardState[] {
    const rows = this.deps.queue.bySender(sender, messageIds);
    return messageIds.map((messageId) => {
      const row = rows.get(toHex(messageId));
      const base = {
        messageId,
        server: row?.server ?? "",
        recipient: row?.recipient ?? "",
        status: MailboxStatus.OK,
        statusText: "",
        retryAfterMs: 0n,
        attempts: row?.attempts ?? 0,
      };
      if (row === undefined) return { ...base, state: ForwardState.State.UNKNOWN };
      if (row.state === "queued") return { ...base, state: ForwardState.State.QUEUED };
      if (row.state === "delivered") return { ...base, state: ForwardState.State.DELIVERED };
      return {
        ...base,
        state: ForwardState.State.FAILED,
        status: asMailboxStatus(row.status),
        statusText: row.statusText,
        retryAfterMs: BigInt(row.retryAfterMs),
      };
    });
  }

  /** Envelopes waiting for `server`. */
  queued(server: string): number {
    return this.deps.queue.queuedFor(server);
  }

  /** Runs one forwarding attempt of `row`, or joins the one in flight. */
  #attempt(row: ForwardRow): Promise<void> {
    const running = this.#attempts.get(row.id);
    if (running !== undefined) return running;
    const attempt = this.#forward(row).finally(() => this.#attempts.delete(row.id));
    this.#attempts.set(row.id, attempt);
    return attempt;
  }

  async #forward(row: ForwardRow): Promise<void> {
    const { queue, links, log } = this.deps;
    if (row.envelope === undefined) return;
    const account = this.deps.accounts.get(row.sender);
    if (account === undefined || !bytesEqual(account.identityKey, row.senderKey)) {
      queue.failed(row.id, {
        status: MailboxStatus.E_INVALID_SIGNATURE,
        statusText: `${row.sender}'s identity key changed before the message could be forwarded`,
        retryAfterMs: 0,
      }, this.deps.now());
      return;
    }
    const senderCertificate = await this.deps.certifier.certificate(
      row.sender,
      row.senderKey,
      this.deps.now(),
    );
    let status: FederationStatus;
    let statusText: string;
    let retryAfterMs: bigint;
    try {
      ({ status, statusText, retryAfterMs } = await links.request(row.server, {
        type: FederationRequest.Type.DEPOSIT,
        username: row.recipient,
        envelope: row.envelope,
        senderCertificate,
      }));
    } catch (err: unknown) {
      if (!(err instanceof LinkError)) throw err;
      this.#retryLater(row, err.message);
      return;
    }
    const now = this.deps.now();
    if (status === FederationStatus.OK) {
      queue.delivered(row.id, now);
      this.deps.metrics.count("federation_mail_forwarded");
    } else if (
      status === FederationStatus.E_UNAVAILABLE || status === FederationStatus.E_INTERNAL ||
      status === FederationStatus.E_NOT_AUTHORIZED
    ) {
      this.#retryLater(row, `${status}: ${statusText}`);
    } else {
      log.info(`${row.server} refused mail from ${row.sender} for ${row.recipient}: ${status}`);
      queue.failed(row.id, {
        status: asMailboxStatus(status),
        statusText: `${row.server} refused: ${statusText}`,
        retryAfterMs: Number(retryAfterMs),
      }, now);
    }
  }

  #retryLater(row: ForwardRow, why: string): void {
    const { retryMinMs, retryMaxMs } = this.deps.limits;
    const now = this.deps.now();
    const delay = backoffDelay(row.attempts, { minMs: retryMinMs, maxMs: retryMaxMs });
    this.deps.queue.retryAt(row.id, now + delay, now);
    this.deps.log.debug(`mail for ${row.recipient}@${row.server} waits: ${why}`);
  }

  /** Drains `server` after `delayMs` (an earlier drain already scheduled wins). */
  #schedule(server: string, delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timers.get(server));
    this.#timers.set(
      server,
      setTimeout(() => {
        this.#timers.delete(server);
        void this.#drain(server).catch((err: unknown) =>
          this.deps.log.error(`forwarding to ${server} failed: ${err}`)
        );
      }, Math.max(0, delayMs)),
    );
  }

  /**
   * Forwards what is due for `server`, oldest first, FORWARDS_IN_FLIGHT at a time, until none
   * is or its link goes down.
   */
  async #drain(server: string): Promise<void> {
    if (this.#draining.has(server)) return;
    this.#draining.add(server);
    try {
      while (!this.#stopped) {
        const due = this.deps.queue.due(server, this.deps.now(), DRAIN_BATCH);
        if (due.length === 0) break;
        let next = 0;
        let down = false;
        const lane = async () => {
          while (!this.#stopped && !down && next < due.length) {
            await this.#attempt(due[next++]!);
            if (this.deps.links.isDown(server)) down = true;
          }
        };
        await Promise.all(Array.from({ length: Math.min(FORWARDS_IN_FLIGHT, due.length) }, lane));
        if (this.#stopped) return;
        if (down) {
          // Wait for the link (onUp), or try again after a backoff of drains that failed.
          const failures = (this.#linkFailures.get(server) ?? 0) + 1;
          this.#linkFailures.set(server, failures);
          const { retryMinMs, retryMaxMs } = this.deps.limits;
          this.#schedule(
            server,
            backoffDelay(failures - 1, { minMs: retryMinMs, maxMs: retryMaxMs }),
          );
          return;
        }
      }
      this.#linkFailures.delete(server);
      const next = this.deps.queue.nextDue(server);
      if (next !== undefined) this.#schedule(server, next - this.deps.now());
    } finally {
      this.#draining.delete(server);
    }
  }
}

function answer(
  status: MailboxStatus,
  statusText = "",
  extra: Partial<RemoteDepositAnswer> = {},
): RemoteDepositAnswer {
  return { status, statusText, id: 0n, retryAfterMs: 0n, ...extra };
}

/** The answer a deposit gets for where its row stands. */
function outcome(row: ForwardRow): RemoteDepositAnswer {
  if (row.state === "delivered") return answer(MailboxStatus.OK, "", { id: BigInt(row.id) });
  if (row.state === "failed") {
    return answer(asMailboxStatus(row.status), row.statusText, {
      retryAfterMs: BigInt(row.retryAfterMs),
    });
  }
  return answer(MailboxStatus.OK, `queued for ${row.server}`, {
    id: BigInt(row.id),
    queuedFor: row.server,
  });
}
