/**
 * Double Ratchet sessions with each contact. A contact may have a few sessions (both sides
 * started one at once, or a key change); session_choice.ts picks the one that sends. The cap is
 * per (username, identity key), so sessions from a changed, untrusted key cannot evict the live
 * ones; sessions of keys that are neither the pinned nor the pending key are dropped. States are
 * sealed with the storage key, bound to their row (sealed_column.ts); a save compares the row's
 * version, never the sealed bytes (each seal is fresh).
 */
import type { DatabaseSync } from "node:sqlite";
import { toHex } from "../../crypto/bytes.ts";
import { concat } from "../../crypto/primitives.ts";
import { prepared, selectAll, selectOne } from "../../store/database.ts";
import { writeIfCurrent } from "./compare_and_set.ts";
import { SealedColumn } from "./sealed_column.ts";

const encoder = new TextEncoder();

/** Most sessions kept per (contact, identity key); the least recently used are dropped. */
export const MAX_SESSIONS_PER_KEY = 4;

/** A stored session. */
export interface StoredSession {
  readonly username: string;
  readonly sessionId: Uint8Array;
  /** The contact's identity key this session was agreed with. */
  readonly identityKey: Uint8Array;
  /** serializeRatchetState bytes (sealed in the table). */
  readonly state: Uint8Array;
  /** An encoded PrekeyHeader to repeat until the contact replies (sessions we started). */
  readonly prekeyHeader?: Uint8Array;
  readonly updatedAt: number;
  /** When this session last decrypted a message; absent (or 0) when it never did. */
  readonly receivedAt?: number;
  /**
   * The stored version this session's state was derived from (as read by `list`); absent for a
   * session not stored yet. A save succeeds only while the row still has it.
   */
  readonly version?: number;
}

interface Row {
  username: string;
  session_id: Uint8Array;
  identity_key: Uint8Array;
  state: Uint8Array;
  prekey_header: Uint8Array | null;
  updated_at: number;
  received_at: number;
  version: number;
}

/** The sealed state column of sessions (rows keyed by sessionRow). */
export function sessionStates(storageKey: Uint8Array): SealedColumn {
  return new SealedColumn(storageKey, "sessions", "state");
}

/**
 * The row key of session `sessionId` with `username`: username ‖ 0x00 ‖ sessionId (a username
 * holds no NUL, so no two rows share one).
 */
export function sessionRow(username: string, sessionId: Uint8Array): Uint8Array {
  return concat(encoder.encode(username), Uint8Array.of(0), sessionId);
}

/** What the state of session `sessionId` with `username` is called in messages. */
export function sessionName(username: string, sessionId: Uint8Array): string {
  return `the ratchet state of session ${toHex(sessionId.subarray(0, 4))}… with ${username}`;
}

/** The sessions table. */
export class RatchetSessionStore {
  readonly #states: SealedColumn;

  /** The sessions table of `db`, its states sealed with `storageKey`. */
  constructor(private readonly db: DatabaseSync, storageKey: Uint8Array) {
    this.#states = sessionStates(storageKey);
  }

  /**
   * The sessions with `username` agreed with `identityKey`, most recently used first.
   * @throws DecryptionError when a sealed state does not open (sealed_column.ts).
   */
  list(username: string, identityKey: Uint8Array): StoredSession[] {
    return selectAll<Row>(
      this.db,
      "SELECT * FROM sessions WHERE username = ? AND identity_key = ? ORDER BY updated_at DESC, rowid DESC",
      username,
      identityKey,
    ).map((row) => this.#fromRow(row));
  }

  /** Whether any session with `username` agreed with `identityKey` is stored (none is opened). */
  has(username: string, identityKey: Uint8Array): boolean {
    return selectOne<{ one: number }>(
      this.db,
      "SELECT 1 AS one FROM sessions WHERE username = ? AND identity_key = ? LIMIT 1",
      username,
      identityKey,
    ) !== undefined;
  }

  /**
   * Stores a session: a new one (no `version`) is inserted (one the peer started, already
   * decrypting, marks the others not in use), a stored one is updated only while its row still
   * has `version` (compare-and-set); then drops the least recently used of its
   * (username, identity key) beyond MAX_SESSIONS_PER_KEY, and the sessions of `username`'s other
   * keys unless they are its pinned or pending key.
   * @throws StaleStateError when the session is already stored (a new one) or its row moved on
   * since `version` was read: another process used this state, and what was derived from it
   * (an envelope, a decrypted message) must be dropped.
   */
  save(session: StoredSession): void {
    const what = `the session with ${session.username}`;
    const state = this.#states.seal(
      sessionRow(session.username, session.sessionId),
      session.state,
    );
    if (session.version === undefined) {
      writeIfCurrent(
        this.db,
        what,
        `INSERT INTO sessions (username, session_id, identity_key, state, prekey_header, updated_at,
           received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username, session_id) DO NOTHING`,
        session.username,
        session.sessionId,
        session.identityKey,
        state,
        session.prekeyHeader ?? null,
        session.updatedAt,
        session.receivedAt ?? 0,
      );
      // A new session that already decrypted is one the peer started: it may have lost the
      // others, so they no longer count as in use (session_choice.ts) until they decrypt again.
      if (session.receivedAt) {
        prepared(
          this.db,
          `UPDATE sessions SET received_at = 0
           WHERE username = ? AND identity_key = ? AND session_id != ?`,
        ).run(session.username, session.identityKey, session.sessionId);
      }
    } else {
      writeIfCurrent(
        this.db,
        what,
        `UPDATE sessions SET state = ?, prekey_header = ?, updated_at = ?, received_at = ?,
           version = version + 1 WHERE username = ? AND session_id = ? AND version = ?`,
        state,
        session.prekeyHeader ?? null,
        session.updatedAt,
        session.receivedAt ?? 0,
        session.username,
        session.sessionId,
        session.version,
      );
    }
    const { username, identityKey } = session;
    // Only an insert can pass the cap (an update adds no row): a message's save skips this.
    if (session.version === undefined) {
      prepared(
        this.db,
        `DELETE FROM sessions WHERE username = ? AND identity_key = ? AND rowid NOT IN (
           SELECT rowid FROM sessions WHERE username = ? AND identity_key = ?
           ORDER BY updated_at DESC, rowid DESC LIMIT ?)`,
      ).run(username, identityKey, username, identityKey, MAX_SESSIONS_PER_KEY);
    }
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

  #fromRow(row: Row): StoredSession {
    const sessionId = new Uint8Array(row.session_id);
    const session = {
      username: row.username,
      sessionId,
      identityKey: new Uint8Array(row.identity_key),
      state: this.#states.open(
        sessionRow(row.username, sessionId),
        new Uint8Array(row.state),
        sessionName(row.username, sessionId),
      ),
      updatedAt: Number(row.updated_at),
      receivedAt: Number(row.received_at),
      version: Number(row.version),
    };
    return row.prekey_header
      ? { ...session, prekeyHeader: new Uint8Array(row.prekey_header) }
      : session;
  }
}
