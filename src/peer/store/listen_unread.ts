/**
 * The messages `tincan listen` received but has not printed yet (peer.db table `listen_unread`):
 * each is noted when it is stored and removed once printed, so a listen that stops at --count N
 * leaves the rest for the next listen. The message itself is in the history.
 */
import type { Via } from "../events.ts";
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectOne } from "../../store/database.ts";

/** How a noted message arrived. */
export interface UnreadNote {
  /** The sender's username (with messageId, the message's history line). */
  readonly peer: string;
  readonly messageId: Uint8Array;
  /** Our username, as the message named it. */
  readonly recipient: string;
  readonly via: Via;
  readonly keyChanged: boolean;
}

interface Row {
  peer: string;
  message_id: Uint8Array;
  recipient: string;
  via: Via;
  key_changed: number;
}

/** The listen_unread table. */
export class ListenUnreadStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Notes a stored message as not printed yet (once per sender and id). */
  add(note: UnreadNote): void {
    prepared(
      this.db,
      `INSERT OR IGNORE INTO listen_unread (peer, message_id, recipient, via, key_changed)
       VALUES (?, ?, ?, ?, ?)`,
    ).run(note.peer, note.messageId, note.recipient, note.via, note.keyChanged ? 1 : 0);
  }

  /** The oldest message not printed yet, or undefined. */
  oldest(): UnreadNote | undefined {
    const row = selectOne<Row>(
      this.db,
      "SELECT peer, message_id, recipient, via, key_changed FROM listen_unread ORDER BY seq LIMIT 1",
    );
    return row && {
      peer: row.peer,
      messageId: new Uint8Array(row.message_id),
      recipient: row.recipient,
      via: row.via,
      keyChanged: Number(row.key_changed) === 1,
    };
  }

  /** Removes `peer`'s message `messageId` (printed). */
  remove(peer: string, messageId: Uint8Array): void {
    prepared(this.db, "DELETE FROM listen_unread WHERE peer = ? AND message_id = ?").run(
      peer,
      messageId,
    );
  }
}
