/**
 * Pinned identity keys of other users (trust on first use), the verified mark, a changed key
 * waiting for the user's /trust, and the keys retired from each user's account.
 */
import type { DatabaseSync } from "node:sqlite";
import { bytesEqual } from "../../crypto/bytes.ts";
import { prepared, selectAll, selectOne, transaction } from "../../store/database.ts";

/** A contact as stored. */
export interface Contact {
  readonly username: string;
  /** The pinned (trusted) identity key. */
  readonly identityKey: Uint8Array;
  /** The user compared safety numbers and said /verify … yes. */
  readonly verified: boolean;
  /** A different identity key the rendezvous now certifies, not yet trusted. */
  readonly pendingKey?: Uint8Array;
  /** When the first key was pinned (ms since the Unix epoch). */
  readonly firstSeen: number;
}

interface Row {
  username: string;
  identity_key: Uint8Array;
  verified: number;
  pending_key: Uint8Array | null;
  first_seen: number;
}

/** The contacts table. */
export class ContactStore {
  constructor(private readonly db: DatabaseSync) {}

  /** The contact `username`, or undefined. */
  get(username: string): Contact | undefined {
    const row = selectOne<Row>(
      this.db,
      `SELECT username, identity_key, verified, pending_key, first_seen FROM contacts
       WHERE username = ?`,
      username,
    );
    if (!row) return undefined;
    const contact = {
      username: row.username,
      identityKey: new Uint8Array(row.identity_key),
      verified: Number(row.verified) === 1,
      firstSeen: Number(row.first_seen),
    };
    return row.pending_key ? { ...contact, pendingKey: new Uint8Array(row.pending_key) } : contact;
  }

  /**
   * Whether `username` has a changed key waiting for /trust (its messages are held): what each
   * message written needs to know, without reading the keys.
   */
  hasPendingKey(username: string): boolean {
    return selectOne<{ held: number }>(
      this.db,
      "SELECT 1 AS held FROM contacts WHERE username = ? AND pending_key IS NOT NULL",
      username,
    ) !== undefined;
  }

  /** The contact whose pinned or pending key is `identityKey`, or undefined. */
  byKey(identityKey: Uint8Array): Contact | undefined {
    const row = selectOne<{ username: string }>(
      this.db,
      "SELECT username FROM contacts WHERE identity_key = ? OR pending_key = ? LIMIT 1",
      identityKey,
      identityKey,
    );
    return row && this.get(row.username);
  }

  /** Pins `identityKey` for a new contact. */
  pin(username: string, identityKey: Uint8Array, now: number): void {
    prepared(
      this.db,
      "INSERT INTO contacts (username, identity_key, first_seen, updated_at) VALUES (?, ?, ?, ?)",
    ).run(username, identityKey, now, now);
  }

  /** Records a changed key awaiting /trust. */
  setPending(username: string, pendingKey: Uint8Array, now: number): void {
    prepared(this.db, "UPDATE contacts SET pending_key = ?, updated_at = ? WHERE username = ?")
      .run(pendingKey, now, username);
  }

  /**
   * Trusts the pending key if it is still `pendingKey`: it becomes the pinned key, the old one is
   * retired, and the verified mark is cleared. Returns whether it was trusted.
   */
  acceptPending(username: string, pendingKey: Uint8Array, now: number): boolean {
    return transaction(this.db, () => {
      const contact = this.get(username);
      if (!contact?.pendingKey || !bytesEqual(contact.pendingKey, pendingKey)) return false;
      prepared(
        this.db,
        `UPDATE contacts SET identity_key = pending_key, pending_key = NULL, verified = 0,
           updated_at = ? WHERE username = ?`,
      ).run(now, username);
      this.retire(username, contact.identityKey, now);
      return true;
    });
  }

  /** Records that `identityKey` was retired from `username`'s account. */
  retire(username: string, identityKey: Uint8Array, now: number): void {
    prepared(
      this.db,
      "INSERT OR IGNORE INTO retired_keys (username, identity_key, retired_at) VALUES (?, ?, ?)",
    ).run(username, identityKey, now);
  }

  /** Whether `identityKey` was retired from `username`'s account. */
  isRetired(username: string, identityKey: Uint8Array): boolean {
    return selectOne<{ one: number }>(
      this.db,
      "SELECT 1 AS one FROM retired_keys WHERE username = ? AND identity_key = ?",
      username,
      identityKey,
    ) !== undefined;
  }

  /** Marks the contact verified (or not). */
  setVerified(username: string, verified: boolean, now: number): void {
    prepared(this.db, "UPDATE contacts SET verified = ?, updated_at = ? WHERE username = ?")
      .run(verified ? 1 : 0, now, username);
  }

  /** Every contact's username, sorted. */
  usernames(): string[] {
    return selectAll<{ username: string }>(
      this.db,
      "SELECT username FROM contacts ORDER BY username",
    )
      .map((r) => r.username);
  }
}
