/**
 * Conversation history and the ids of processed envelopes. Bodies are sealed with the storage key
 * by the caller; the seen ids detect duplicates and replays across restarts.
 */
import type { DatabaseSync } from "node:sqlite";
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { prepared, selectAll, selectOne } from "../../store/database.ts";

/** Whether messages of content `kind` are kept in the history: chat messages and broadcasts. */
export function keptInHistory(kind: string): boolean {
  return kind === "" || kind === CONTENT_KINDS.broadcast;
}

/** A history row as stored. */
interface HistoryRow {
  message_id: Uint8Array;
  peer: string;
  outgoing: number;
  sent_at: number;
  body: Uint8Array;
  untrusted: number;
}

/** One stored message. */
export interface HistoryEntry {
  readonly messageId: Uint8Array;
  readonly peer: string;
  readonly outgoing: boolean;
  readonly sentAt: number;
  readonly body: Uint8Array;
  /** Received from a changed key not yet trusted as `peer`: it may not be from `peer`. */
  readonly untrusted?: boolean;
}

function fromRow(row: HistoryRow): HistoryEntry {
  return {
    messageId: new Uint8Array(row.message_id),
    peer: row.peer,
    outgoing: Number(row.outgoing) === 1,
    sentAt: Number(row.sent_at),
    body: new Uint8Array(row.body),
    ...(Number(row.untrusted) === 1 ? { untrusted: true as const } : {}),
  };
}

/** Seen ids older than this are forgotten (the ratchet still refuses replays). */
export const SEEN_MAX_AGE_MS = 60 * 24 * 60 * 60 * 1000;

/** The history and seen tables. */
export class HistoryStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Stores a message (ignored when this peer's line with its id is already stored). */
  add(entry: HistoryEntry, now: number): void {
    prepared(
      this.db,
      `INSERT OR IGNORE INTO history
         (message_id, peer, outgoing, sent_at, stored_at, body, untrusted)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      entry.messageId,
      entry.peer,
      entry.outgoing ? 1 : 0,
      entry.sentAt,
      now,
      entry.body,
      entry.untrusted ? 1 : 0,
    );
  }

  /** Everyone we exchanged a message or broadcast with (the people we talked to), sorted. */
  peers(): string[] {
    return selectAll<{ peer: string }>(this.db, "SELECT DISTINCT peer FROM history ORDER BY peer")
      .map((row) => row.peer);
  }

  /** The last `limit` messages with `peer` (all peers when undefined), oldest first. */
  recent(peer: string | undefined, limit: number): HistoryEntry[] {
    const rows = peer === undefined
      ? selectAll<HistoryRow>(
        this.db,
        "SELECT * FROM history ORDER BY sent_at DESC, rowid DESC LIMIT ?",
        limit,
      )
      : selectAll<HistoryRow>(
        this.db,
        "SELECT * FROM history WHERE peer = ? ORDER BY sent_at DESC, rowid DESC LIMIT ?",
        peer,
        limit,
      );
    return rows.reverse().map(fromRow);
  }

  /** The stored line with `peer` whose id is `messageId`, or undefined. */
  get(peer: string, messageId: Uint8Array): HistoryEntry | undefined {
    const row = selectOne<HistoryRow>(
      this.db,
      "SELECT * FROM history WHERE peer = ? AND message_id = ?",
      peer,
      messageId,
    );
    return row && fromRow(row);
  }

  /**
   * Whether an envelope from `senderKey` (its identity key) with `messageId` was already
   * processed. Ids recorded before senders were (an empty key) count for every sender.
   */
  seen(senderKey: Uint8Array, messageId: Uint8Array): boolean {
    return selectOne(
      this.db,
      "SELECT 1 FROM seen WHERE sender_key IN (?, x'') AND message_id = ?",
      senderKey,
      messageId,
    ) !== undefined;
  }

  /** Records the envelope from `senderKey` with `messageId` as processed. */
  markSeen(senderKey: Uint8Array, messageId: Uint8Array, now: number): void {
    prepared(
      this.db,
      "INSERT OR IGNORE INTO seen (sender_key, message_id, at) VALUES (?, ?, ?)",
    ).run(senderKey, messageId, now);
  }

  /** Forgets seen ids older than SEEN_MAX_AGE_MS. */
  pruneSeen(now: number): void {
    prepared(this.db, "DELETE FROM seen WHERE at < ?").run(now - SEEN_MAX_AGE_MS);
  }
}
