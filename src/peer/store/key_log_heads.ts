/**
 * The head of each contact's key log as last verified (key_log_heads): what a later log from the
 * rendezvous must extend.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectOne } from "../../store/database.ts";

/** A verified key-log head. */
export interface KeyLogHead {
  /** Entries in the log. */
  readonly length: number;
  /** SHA-256 of the last entry's signed statement. */
  readonly head: Uint8Array;
  /** SHA-256 of the first entry's signed statement (the account's creation). */
  readonly firstHash: Uint8Array;
  /** The identity key the log ends with. */
  readonly identityKey: Uint8Array;
  /** When the account was created, by its first entry (ms since the Unix epoch). */
  readonly createdAt: number;
  /** When we last verified it. */
  readonly checkedAt: number;
}

interface Row {
  length: number;
  head: Uint8Array;
  first_hash: Uint8Array;
  identity_key: Uint8Array;
  created_at: number;
  checked_at: number;
}

/** The key_log_heads table. */
export class KeyLogHeadStore {
  constructor(private readonly db: DatabaseSync) {}

  /** The head last verified for `username`, or undefined. */
  get(username: string): KeyLogHead | undefined {
    const row = selectOne<Row>(
      this.db,
      `SELECT length, head, first_hash, identity_key, created_at, checked_at
       FROM key_log_heads WHERE username = ?`,
      username,
    );
    return row && {
      length: Number(row.length),
      head: new Uint8Array(row.head),
      firstHash: new Uint8Array(row.first_hash),
      identityKey: new Uint8Array(row.identity_key),
      createdAt: Number(row.created_at),
      checkedAt: Number(row.checked_at),
    };
  }

  /** Records `head` as the one verified for `username`. */
  set(username: string, head: KeyLogHead): void {
    prepared(
      this.db,
      `INSERT INTO key_log_heads
         (username, length, head, first_hash, identity_key, created_at, checked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET length = excluded.length, head = excluded.head,
         first_hash = excluded.first_hash, identity_key = excluded.identity_key,
         created_at = excluded.created_at, checked_at = excluded.checked_at`,
    ).run(
      username,
      head.length,
      head.head,
      head.firstHash,
      head.identityKey,
      head.createdAt,
      head.checkedAt,
    );
  }

  /** Forgets `username`'s head (the user trusted a log that does not extend it). */
  delete(username: string): void {
    prepared(this.db, "DELETE FROM key_log_heads WHERE username = ?").run(username);
  }
}
