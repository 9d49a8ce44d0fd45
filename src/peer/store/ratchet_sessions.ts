/**
 * Double Ratchet sessions with each contact. A contact may have a few sessions (both sides
 * started one at once, or a key change); the most recently used one sends. The cap is per
 * (username, identity key), so sessions from a changed, untrusted key cannot evict the live
 * ones; sessions of keys that are neither the pinned nor the pending key are dropped.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll } from "../../store/database.ts";

/** Most sessions kept per (contact, identity key); the least recently used are dropped. */
export const MAX_SESSIONS_PER_KEY = 4;

/** A stored session. */
export interface StoredSession {
  readonly username: string;
  readonly sessionId: Uint8Array;
  /** The contact's identity key this session was agreed with. */
  readonly identityKey: Uint8Array;
  /** serializeRatchetState bytes. */
  readonly state: Uint8Array;
  /** An encoded PrekeyHeader to repeat until the contact replies (sessions we started). */
  readonly prekeyHeader?: Uint8Array;
  readonly updatedAt: number;
}

interface Row {
  username: string;
  session_id: Uint8Array;
  identity_key: Uint8Array;
  state: Uint8Array;
  prekey_header: Uint8Array | null;
  updated_at: number;
}

function fromRow(row: Row): StoredSession {
  const session = {
    username: row.username,
    sessionId: new Uint8Array(row.session_id),
    identityKey: new Uint8Array(row.identity_key),
    state: new Uint8Array(row.state),
    updatedAt: Number(row.updated_at),
  };
  return row.prekey_header
    ? { ...session, prekeyHeader: new Uint8Array(row.prekey_header) }
    : session;
}

/** The sessions table. */
export class RatchetSessionStore {
  constructor(private readonly db: DatabaseSync) {}

  /** The sessions with `username` agreed with `identityKey`, most recently used first. */
  list(username: string, identityKey: Uint8Array): StoredSession[] {
    return selectAll<Row>(
      this.db,
      "SELECT * FROM sessions WHERE username = ? AND identity_key = ? ORDER BY updated_at DESC, rowid DESC",
      username,
      identityKey,
    ).map(fromRow);
  }

  /**
   * Inserts or replaces a session, then drops the least recently used of its (username, identity
   * key) beyond MAX_SESSIONS_PER_KEY, and the sessions of `username`'s other keys unless they are
   * its pinned or pending key.
   */
  save(session: StoredSession): void {
    prepared(
      this.db,
      `INSERT INTO sessions (username, session_id, identity_key, state, prekey_header, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (username, session_id) DO UPDATE SET state = excluded.state,
         prekey_header = excluded.prekey_header, updated_at = excluded.updated_at`,
    ).run(
      session.username,
      session.sessionId,
      session.identityKey,
      session.state,
      session.prekeyHeader ?? null,
      session.updatedAt,
    );
    const { username, identityKey } = session;
    prepared(
      this.db,
      `DELETE FROM sessions WHERE username = ? AND identity_key = ? AND rowid NOT IN (
         SELECT rowid FROM sessions WHERE username = ? AND identity_key = ?
         ORDER BY updated_at DESC, rowid DESC LIMIT ?)`,
    ).run(username, identityKey, username, identityKey, MAX_SESSIONS_PER_KEY);
    prepared(
      this.db,
      `DELETE FROM sessions WHERE username = ? AND identity_key != ? AND NOT EXISTS (
         SELECT 1 FROM contacts c WHERE c.username = sessions.username
         AND (c.identity_key = sessions.identity_key OR c.pending_key = sessions.identity_key))`,
    ).run(username, identityKey);
  }

  /** Drops every session with `username` (after a key change). */
  deleteAll(username: string): void {
    prepared(this.db, "DELETE FROM sessions WHERE username = ?").run(username);
  }
}
