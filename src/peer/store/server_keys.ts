/**
 * The keys pinned for federated rendezvous nodes (server_keys): the first key our home vouched
 * for a node's name is pinned (trust on first use); a different one later waits for /trust, like a
 * contact's changed key (contacts.ts).
 */
import type { DatabaseSync } from "node:sqlite";
import { bytesEqual } from "../../crypto/bytes.ts";
import { prepared, selectAll, selectOne, transaction } from "../../store/database.ts";

/** A federated node's pinned key as stored. */
export interface ServerKey {
  readonly name: string;
  readonly key: Uint8Array;
  /** A different key our home vouched for since, not yet trusted. */
  readonly pendingKey?: Uint8Array;
  readonly firstSeen: number;
}

interface Row {
  name: string;
  server_key: Uint8Array;
  pending_key: Uint8Array | null;
  first_seen: number;
}

/** The server_keys table. */
export class ServerKeyStore {
  constructor(private readonly db: DatabaseSync) {}

  /** The pinned key of the node `name`, or undefined. */
  get(name: string): ServerKey | undefined {
    const row = selectOne<Row>(
      this.db,
      "SELECT name, server_key, pending_key, first_seen FROM server_keys WHERE name = ?",
      name,
    );
    if (!row) return undefined;
    const pinned = {
      name: row.name,
      key: new Uint8Array(row.server_key),
      firstSeen: Number(row.first_seen),
    };
    return row.pending_key ? { ...pinned, pendingKey: new Uint8Array(row.pending_key) } : pinned;
  }

  /** Pins `key` for the node `name`, seen for the first time. */
  pin(name: string, key: Uint8Array, now: number): void {
    prepared(
      this.db,
      `INSERT OR IGNORE INTO server_keys (name, server_key, first_seen, updated_at)
       VALUES (?, ?, ?, ?)`,
    ).run(name, key, now, now);
  }

  /** Records a changed key for `name` awaiting /trust. */
  setPending(name: string, key: Uint8Array, now: number): void {
    prepared(this.db, "UPDATE server_keys SET pending_key = ?, updated_at = ? WHERE name = ?")
      .run(key, now, name);
  }

  /** Trusts the pending key of `name` if it is still `key`; returns whether it was trusted. */
  acceptPending(name: string, key: Uint8Array, now: number): boolean {
    return transaction(this.db, () => {
      const pinned = this.get(name);
      if (!pinned?.pendingKey || !bytesEqual(pinned.pendingKey, key)) return false;
      prepared(
        this.db,
        `UPDATE server_keys SET server_key = pending_key, pending_key = NULL, updated_at = ?
         WHERE name = ?`,
      ).run(now, name);
      return true;
    });
  }

  /** Every pinned node's name, sorted. */
  names(): string[] {
    return selectAll<{ name: string }>(this.db, "SELECT name FROM server_keys ORDER BY name")
      .map((r) => r.name);
  }
}
