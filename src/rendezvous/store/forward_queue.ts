/**
 * The federation forwarding queue, at the sender's home: envelopes local users deposited for
 * users homed at federated nodes, committed before the deposit is answered and kept until the
 * remote's mailbox answered. Then the envelope is dropped and the outcome (delivered, or failed
 * with the remote's status) is kept for FORWARD_STATUS until it is purged.
 */
import type { DatabaseSync } from "node:sqlite";
import { toHex } from "../../crypto/bytes.ts";
import { prepared, selectAll, selectOne, transaction } from "../../store/database.ts";

/** Where a queued envelope stands. */
export type ForwardStateName = "queued" | "delivered" | "failed";

/** An envelope to queue. */
export interface ForwardItem {
  readonly server: string;
  readonly recipient: string;
  /** The local depositor's username. */
  readonly sender: string;
  /** The depositor's identity key, which signed the envelope. */
  readonly senderKey: Uint8Array;
  readonly messageId: Uint8Array;
  readonly envelope: Uint8Array;
}

/** One row of the queue. */
export interface ForwardRow {
  readonly id: number;
  readonly server: string;
  readonly recipient: string;
  readonly sender: string;
  readonly senderKey: Uint8Array;
  readonly messageId: Uint8Array;
  /** Undefined once the remote answered. */
  readonly envelope: Uint8Array | undefined;
  readonly state: ForwardStateName;
  /** failed: the remote's refusal, a MailboxStatus name. */
  readonly status: string;
  readonly statusText: string;
  readonly retryAfterMs: number;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly expiresAt: number;
}

/** A sender that has as much waiting to be forwarded as it may. */
export class ForwardQueueFullError extends RangeError {
  override name = "ForwardQueueFullError";
}

interface Row {
  id: number;
  server: string;
  recipient: string;
  sender: string;
  sender_key: Uint8Array;
  message_id: Uint8Array;
  envelope: Uint8Array | null;
  state: string;
  status: string;
  status_text: string;
  retry_after_ms: number;
  attempts: number;
  next_attempt_at: number;
  expires_at: number;
}

const COLUMNS = `id, server, recipient, sender, sender_key, message_id, envelope, state, status,
  status_text, retry_after_ms, attempts, next_attempt_at, expires_at`;

function toRow(row: Row): ForwardRow {
  return {
    id: Number(row.id),
    server: row.server,
    recipient: row.recipient,
    sender: row.sender,
    senderKey: new Uint8Array(row.sender_key),
    messageId: new Uint8Array(row.message_id),
    envelope: row.envelope === null ? undefined : new Uint8Array(row.envelope),
    state: row.state as ForwardStateName,
    status: row.status,
    statusText: row.status_text,
    retryAfterMs: Number(row.retry_after_ms),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    expiresAt: Number(row.expires_at),
  };
}

/** The forward_queue table. */
export class ForwardQueueStore {
  constructor(private readonly db: DatabaseSync) {}

  /**
   * Queues `item` (committed when this returns), due now; the same envelope (sender key, message
   * id, server, recipient) queued again returns the row it already has, whatever its state.
   * @throws ForwardQueueFullError when the sender already has `maxQueuedPerSender` queued.
   */
  enqueue(
    item: ForwardItem,
    now: number,
    expiresAt: number,
    maxQueuedPerSender: number,
  ): ForwardRow {
    return transaction(this.db, () => {
      const existing = selectOne<Row>(
        this.db,
        `SELECT ${COLUMNS} FROM forward_queue
         WHERE sender_key = ? AND message_id = ? AND server = ? AND recipient = ?`,
        item.senderKey,
        item.messageId,
        item.server,
        item.recipient,
      );
      if (existing) return toRow(existing);
      const queued = this.queuedBy(item.sender);
      if (queued >= maxQueuedPerSender) {
        throw new ForwardQueueFullError(
          `${item.sender} has ${queued} messages waiting to be forwarded to federated nodes, ` +
            `the most this node holds for one user (${maxQueuedPerSender})`,
        );
      }
      return toRow(
        selectOne<Row>(
          this.db,
          `INSERT INTO forward_queue (server, recipient, sender, sender_key, message_id, envelope,
           size, state, next_attempt_at, deposited_at, updated_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?) RETURNING ${COLUMNS}`,
          item.server,
          item.recipient,
          item.sender,
          item.senderKey,
          item.messageId,
          item.envelope,
          item.envelope.length,
          now,
          now,
          now,
          expiresAt,
        )!,
      ); // INSERT … RETURNING yields the inserted row
    });
  }

  /** The row `id`, or undefined. */
  get(id: number): ForwardRow | undefined {
    const row = selectOne<Row>(this.db, `SELECT ${COLUMNS} FROM forward_queue WHERE id = ?`, id);
    return row && toRow(row);
  }

  /** Envelopes for `server` queued and due at `now`, oldest first, at most `limit`. */
  due(server: string, now: number, limit: number): ForwardRow[] {
    return selectAll<Row>(
      this.db,
      `SELECT ${COLUMNS} FROM forward_queue
       WHERE server = ? AND state = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
      server,
      now,
      limit,
    ).map(toRow);
  }

  /** When the next envelope queued for `server` is due, or undefined when none is queued. */
  nextDue(server: string): number | undefined {
    const row = selectOne<{ at: number | null }>(
      this.db,
      "SELECT min(next_attempt_at) AS at FROM forward_queue WHERE server = ? AND state = 'queued'",
      server,
    );
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  /** How many envelopes wait for `server`. */
  queuedFor(server: string): number {
    const row = selectOne<{ n: number }>(
      this.db,
      "SELECT count(*) AS n FROM forward_queue WHERE server = ? AND state = 'queued'",
      server,
    );
    return Number(row?.n ?? 0);
  }

  /** How many envelopes of `sender` wait, for any server. */
  queuedBy(sender: string): number {
    const row = selectOne<{ n: number }>(
      this.db,
      "SELECT count(*) AS n FROM forward_queue WHERE sender = ? AND state = 'queued'",
      sender,
    );
    return Number(row?.n ?? 0);
  }

  /** Makes every envelope queued for `server` due at `now` (its link just came up). */
  makeDue(server: string, now: number): void {
    prepared(
      this.db,
      `UPDATE forward_queue SET next_attempt_at = ?
       WHERE server = ? AND state = 'queued' AND next_attempt_at > ?`,
    ).run(now, server, now);
  }

  /** The remote's mailbox took row `id`: its envelope is dropped, the outcome kept. */
  delivered(id: number, now: number): void {
    prepared(
      this.db,
      `UPDATE forward_queue SET state = 'delivered', envelope = NULL, updated_at = ?
       WHERE id = ? AND state = 'queued'`,
    ).run(now, id);
  }

  /** The remote refused row `id` for good (`status`: a MailboxStatus name); the envelope is dropped. */
  failed(
    id: number,
    refusal: { status: string; statusText: string; retryAfterMs: number },
    now: number,
  ): void {
    prepared(
      this.db,
      `UPDATE forward_queue SET state = 'failed', envelope = NULL, status = ?, status_text = ?,
         retry_after_ms = ?, updated_at = ? WHERE id = ? AND state = 'queued'`,
    ).run(refusal.status, refusal.statusText, refusal.retryAfterMs, now, id);
  }

  /** Row `id` could not be forwarded now: one more attempt counted, the next at `nextAttemptAt`. */
  retryAt(id: number, nextAttemptAt: number, now: number): void {
    prepared(
      this.db,
      `UPDATE forward_queue SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ?
       WHERE id = ? AND state = 'queued'`,
    ).run(nextAttemptAt, now, id);
  }

  /** `sender`'s rows for these message ids (any server), the latest for each, by id in hex. */
  bySender(sender: string, messageIds: readonly Uint8Array[]): Map<string, ForwardRow> {
    const found = new Map<string, ForwardRow>();
    for (const messageId of messageIds) {
      const rows = selectAll<Row>(
        this.db,
        `SELECT ${COLUMNS} FROM forward_queue WHERE sender = ? AND message_id = ? ORDER BY id`,
        sender,
        messageId,
      );
      for (const row of rows) found.set(toHex(row.message_id), toRow(row));
    }
    return found;
  }

  /**
   * Marks queued envelopes past their expiry as failed, and deletes outcomes last updated before
   * `before`; returns how many expired.
   */
  purge(now: number, before: number): number {
    return transaction(this.db, () => {
      const expired = Number(
        prepared(
          this.db,
          `UPDATE forward_queue SET state = 'failed', envelope = NULL, status = 'E_UNAVAILABLE',
             status_text = 'the federated node could not be reached before the message expired',
             updated_at = ? WHERE state = 'queued' AND expires_at <= ?`,
        ).run(now, now).changes,
      );
      prepared(this.db, "DELETE FROM forward_queue WHERE state <> 'queued' AND updated_at < ?")
        .run(before);
      return expired;
    });
  }
}
