/**
 * The messages of our rooms, sent and received (peer.db table `room_history`), for
 * `/history #room`. Texts are sealed with the storage key, bound to room and message id, so a row
 * copied to another room or id does not open.
 */
import type { DatabaseSync } from "node:sqlite";
import { openAtRest, sealAtRest } from "../../crypto/at_rest.ts";
import { concat, randomBytes } from "../../crypto/primitives.ts";
import { prepared, selectAll } from "../../store/database.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const BODY_CONTEXT = encoder.encode("room-history");
/** Bytes of the id a sent room message is stored under. */
const SENT_ID_BYTES = 16;

/** One room message, sealed and ready to store. */
export interface RoomHistoryEntry {
  readonly roomId: Uint8Array;
  /** The envelope id of a received message; a fresh id (sentId()) for one we sent. */
  readonly messageId: Uint8Array;
  readonly sender: string;
  readonly sentAt: number;
  /** The text, sealed by seal(). */
  readonly body: Uint8Array;
}

/** One room message as /history shows it. */
export interface RoomHistoryLine {
  readonly from: string;
  readonly sentAt: number;
  readonly text: string;
}

/** The room_history table of a profile. */
export class RoomHistory {
  constructor(private readonly db: DatabaseSync, private readonly storageKey: Uint8Array) {}

  /** A fresh id to store a message we send under. */
  static sentId(): Uint8Array {
    return randomBytes(SENT_ID_BYTES);
  }

  /** Seals `text` for the row of message `messageId` in room `roomId`. */
  async seal(roomId: Uint8Array, messageId: Uint8Array, text: string): Promise<Uint8Array> {
    return await sealAtRest(this.storageKey, encoder.encode(text), context(roomId, messageId));
  }

  /** Stores `entry` (ignored when its id is already stored in its room). */
  add(entry: RoomHistoryEntry, now: number): void {
    prepared(
      this.db,
      `INSERT OR IGNORE INTO room_history (room_id, message_id, sender, sent_at, stored_at, body)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(entry.roomId, entry.messageId, entry.sender, entry.sentAt, now, entry.body);
  }

  /**
   * The last `limit` messages of room `roomId`, oldest first.
   * @throws DecryptionError when a stored text does not open (the database was tampered with).
   */
  async recent(roomId: Uint8Array, limit: number): Promise<RoomHistoryLine[]> {
    const rows = selectAll<{
      message_id: Uint8Array;
      sender: string;
      sent_at: number;
      body: Uint8Array;
    }>(
      this.db,
      `SELECT message_id, sender, sent_at, body FROM room_history WHERE room_id = ?
       ORDER BY sent_at DESC, rowid DESC LIMIT ?`,
      roomId,
      limit,
    );
    const lines: RoomHistoryLine[] = [];
    for (const row of rows.reverse()) {
      const text = await openAtRest(
        this.storageKey,
        new Uint8Array(row.body),
        context(roomId, new Uint8Array(row.message_id)),
      );
      lines.push({ from: row.sender, sentAt: Number(row.sent_at), text: decoder.decode(text) });
    }
    return lines;
  }
}

function context(roomId: Uint8Array, messageId: Uint8Array): Uint8Array {
  return concat(BODY_CONTEXT, Uint8Array.of(0), roomId, messageId);
}
