/**
 * The outbox: every outgoing message from the moment it is written until the recipient
 * acknowledges it. Bodies are sealed with the storage key by the caller.
 *
 *   pending   written, not yet encrypted for the recipient
 *   held      waiting after the recipient's key changed: never sent until the user says
 *             /resend (re-encrypted then, for the trusted key) or /discard (failed)
 *   sent      encrypted (envelope stored) and sent at least once; resent until acknowledged
 *   queued    accepted by the recipient's mailbox at the rendezvous; delivered when the
 *             recipient's receipt (or acknowledgement) arrives
 *   delivered acknowledged by the recipient
 *   failed    reported to the user as failed; never resent
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll, selectOne } from "../../store/database.ts";

export type OutboxStatus = "pending" | "held" | "sent" | "queued" | "delivered" | "failed";

/** One outbox row. */
export interface OutboxEntry {
  readonly messageId: Uint8Array;
  readonly recipient: string;
  readonly body: Uint8Array;
  readonly envelope?: Uint8Array;
  readonly status: OutboxStatus;
  readonly error?: string;
  readonly createdAt: number;
}

interface Row {
  message_id: Uint8Array;
  recipient: string;
  body: Uint8Array;
  envelope: Uint8Array | null;
  status: OutboxStatus;
  error: string | null;
  created_at: number;
}

function fromRow(row: Row): OutboxEntry {
  return {
    messageId: new Uint8Array(row.message_id),
    recipient: row.recipient,
    body: new Uint8Array(row.body),
    ...(row.envelope ? { envelope: new Uint8Array(row.envelope) } : {}),
    status: row.status,
    ...(row.error ? { error: row.error } : {}),
    createdAt: Number(row.created_at),
  };
}

/** The outbox table. */
export class OutboxStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Adds a new message as pending (or held). */
  add(entry: Omit<OutboxEntry, "envelope" | "error">): void {
    prepared(
      this.db,
      `INSERT INTO outbox (message_id, recipient, body, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(
      entry.messageId,
      entry.recipient,
      entry.body,
      entry.status,
      entry.createdAt,
      entry.createdAt,
    );
  }

  /** The row of `messageId`, or undefined. */
  get(messageId: Uint8Array): OutboxEntry | undefined {
    const row = selectOne<Row>(this.db, "SELECT * FROM outbox WHERE message_id = ?", messageId);
    return row && fromRow(row);
  }

  /**
   * The recipient and status of `messageId`, or undefined: what applying its acknowledgement
   * needs, without copying its body and envelope.
   */
  stateOf(messageId: Uint8Array): { recipient: string; status: OutboxStatus } | undefined {
    const row = selectOne<{ recipient: string; status: OutboxStatus }>(
      this.db,
      "SELECT recipient, status FROM outbox WHERE message_id = ?",
      messageId,
    );
    return row && { recipient: row.recipient, status: row.status };
  }

  /** Messages to `recipient` still to send or resend (pending and sent), oldest first. */
  undelivered(recipient: string): OutboxEntry[] {
    return selectAll<Row>(
      this.db,
      "SELECT * FROM outbox WHERE recipient = ? AND status IN ('pending', 'sent') ORDER BY seq",
      recipient,
    ).map(fromRow);
  }

  /** Recipients with messages still to send or resend. */
  recipientsWithUndelivered(): string[] {
    return selectAll<{ recipient: string }>(
      this.db,
      "SELECT DISTINCT recipient FROM outbox WHERE status IN ('pending', 'sent') ORDER BY recipient",
    ).map((r) => r.recipient);
  }

  /**
   * Queued messages to other nodes' users (`user@server`), oldest first, at most `limit`: their
   * deposit may still wait at our home to be forwarded.
   */
  queuedRemote(limit: number): OutboxEntry[] {
    return selectAll<Row>(
      this.db,
      `SELECT * FROM outbox WHERE status = 'queued' AND instr(recipient, '@') > 0
       ORDER BY seq LIMIT ?`,
      limit,
    ).map(fromRow);
  }

  /** Stores the envelope of a pending message and marks it sent. */
  setEnvelope(messageId: Uint8Array, envelope: Uint8Array, now: number): void {
    prepared(
      this.db,
      "UPDATE outbox SET envelope = ?, status = 'sent', updated_at = ? WHERE message_id = ?",
    ).run(envelope, now, messageId);
  }

  /** Sets the status (and the error, for failed). Returns false when no such message. */
  setStatus(messageId: Uint8Array, status: OutboxStatus, now: number, error?: string): boolean {
    const result = prepared(
      this.db,
      "UPDATE outbox SET status = ?, error = ?, updated_at = ? WHERE message_id = ?",
    ).run(status, error ?? null, now, messageId);
    return Number(result.changes) === 1;
  }

  /**
   * Marks a pending or sent message queued (its mailbox accepted it). Returns false when it was
   * in another state (delivered meanwhile, held, failed).
   */
  queue(messageId: Uint8Array, now: number): boolean {
    const result = prepared(
      this.db,
      `UPDATE outbox SET status = 'queued', updated_at = ?
       WHERE message_id = ? AND status IN ('pending', 'sent')`,
    ).run(now, messageId);
    return Number(result.changes) === 1;
  }

  /** Moves `recipient`'s held messages to pending (after /trust). Returns how many. */
  release(recipient: string, now: number): number {
    const result = prepared(
      this.db,
      "UPDATE outbox SET status = 'pending', updated_at = ? WHERE recipient = ? AND status = 'held'",
    ).run(now, recipient);
    return Number(result.changes);
  }

  /**
   * Holds `recipient`'s undelivered messages (their key changed): pending, sent and queued ones
   * become held, and a sent one's envelope (encrypted for the old key) is dropped so that /trust
   * encrypts it again for the new key. Returns how many.
   */
  hold(recipient: string, now: number): number {
    const result = prepared(
      this.db,
      `UPDATE outbox SET status = 'held', envelope = NULL, updated_at = ?
       WHERE recipient = ? AND status IN ('pending', 'sent', 'queued')`,
    ).run(now, recipient);
    return Number(result.changes);
  }

  /** `recipient`'s held messages, oldest first. */
  held(recipient: string): OutboxEntry[] {
    return selectAll<Row>(
      this.db,
      "SELECT * FROM outbox WHERE recipient = ? AND status = 'held' ORDER BY seq",
      recipient,
    ).map(fromRow);
  }

  /**
   * Sends `recipient`'s unacknowledged messages again on a new session (after a session reset):
   * sent and queued ones become pending, their envelopes (made on the dropped session) dropped.
   * Returns their ids.
   */
  reencryptAll(recipient: string, now: number): Uint8Array[] {
    return selectAll<{ message_id: Uint8Array }>(
      this.db,
      `UPDATE outbox SET status = 'pending', envelope = NULL, updated_at = ?
       WHERE recipient = ? AND status IN ('sent', 'queued') RETURNING message_id`,
      now,
      recipient,
    ).map((row) => new Uint8Array(row.message_id));
  }

  /** Like reencryptAll, for one sent or queued message; returns whether it was one. */
  reencrypt(messageId: Uint8Array, now: number): boolean {
    const result = prepared(
      this.db,
      `UPDATE outbox SET status = 'pending', envelope = NULL, updated_at = ?
       WHERE message_id = ? AND status IN ('sent', 'queued')`,
    ).run(now, messageId);
    return Number(result.changes) === 1;
  }

  /** How many messages to `recipient` are held. */
  heldCount(recipient: string): number {
    const row = selectOne<{ n: number }>(
      this.db,
      "SELECT count(*) AS n FROM outbox WHERE recipient = ? AND status = 'held'",
      recipient,
    );
    return Number(row?.n ?? 0);
  }
}
