/**
 * The SESSION_RESET answers waiting for their senders (peer.db table `session_resets`): kept
 * across restarts, since the mail they answer is already deleted from the mailbox.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll, selectOne } from "../../store/database.ts";

/** Senders with answers waiting, at most. */
export const MAX_RESET_SENDERS = 1000;
/** Answers waiting for one sender, at most (the oldest are dropped beyond). */
export const MAX_RESETS_PER_SENDER = 200;

/** One waiting answer. */
export interface WaitingReset {
  readonly messageId: Uint8Array;
  readonly reason: string;
}

/** The session_resets table. */
export class SessionResetStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Keeps an answer for `messageId` signed by `senderKey` (bounded; see the limits). */
  add(senderKey: Uint8Array, messageId: Uint8Array, reason: string, now: number): void {
    const senders = Number(
      selectOne<{ n: number }>(
        this.db,
        "SELECT count(DISTINCT sender_key) AS n FROM session_resets",
      )
        ?.n,
    );
    const known = selectOne(
      this.db,
      "SELECT 1 FROM session_resets WHERE sender_key = ?",
      senderKey,
    );
    if (known === undefined && senders >= MAX_RESET_SENDERS) return;
    prepared(
      this.db,
      `INSERT OR IGNORE INTO session_resets (sender_key, message_id, reason, at)
       VALUES (?, ?, ?, ?)`,
    ).run(senderKey, messageId, reason, now);
    prepared(
      this.db,
      `DELETE FROM session_resets WHERE sender_key = ? AND rowid NOT IN (
         SELECT rowid FROM session_resets WHERE sender_key = ? ORDER BY at DESC, rowid DESC LIMIT ?)`,
    ).run(senderKey, senderKey, MAX_RESETS_PER_SENDER);
  }

  /** The keys of the senders with answers waiting. */
  senders(): Uint8Array[] {
    return selectAll<{ sender_key: Uint8Array }>(
      this.db,
      "SELECT DISTINCT sender_key FROM session_resets",
    ).map((row) => new Uint8Array(row.sender_key));
  }

  /** The answers waiting for `senderKey`, oldest first. */
  waiting(senderKey: Uint8Array): WaitingReset[] {
    return selectAll<{ message_id: Uint8Array; reason: string }>(
      this.db,
      "SELECT message_id, reason FROM session_resets WHERE sender_key = ? ORDER BY at, rowid",
      senderKey,
    ).map((row) => ({ messageId: new Uint8Array(row.message_id), reason: row.reason }));
  }

  /** Removes the answer for `messageId` (sent). */
  remove(senderKey: Uint8Array, messageId: Uint8Array): void {
    prepared(this.db, "DELETE FROM session_resets WHERE sender_key = ? AND message_id = ?").run(
      senderKey,
      messageId,
    );
  }
}
