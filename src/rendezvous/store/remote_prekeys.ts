/**
 * The one-time prekeys federated nodes handed this home in remote lookups, remembered for a while
 * per remote user: a one-time prekey is consumed at its home and handed out once, so a node that
 * hands out one it already handed out is replaying it (and would let its holder's first messages
 * be decrypted by whoever kept the matching private key, or link two conversations). Bounded: rows
 * older than the memory are pruned, and each remote user keeps at most the newest `maxPerUser`.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectOne, transaction } from "../../store/database.ts";

/** A one-time prekey a remote bundle carried. */
export interface SeenPrekey {
  /** The PrekeyKind (OneTime or KemOneTime): the two pools are separate. */
  readonly kind: number;
  readonly publicKey: Uint8Array;
}

/** How long and how many one-time prekeys are remembered. */
export interface PrekeyMemory {
  readonly keepMs: number;
  readonly maxPerUser: number;
}

/** The remote_prekeys_seen table. */
export class RemotePrekeysStore {
  constructor(private readonly db: DatabaseSync) {}

  /**
   * Records `keys`, handed out by `server` for `username` at `now`, unless one of them was seen
   * before: then records nothing and returns that key. Prunes what is past `memory`.
   */
  claim(
    server: string,
    username: string,
    keys: readonly SeenPrekey[],
    now: number,
    memory: PrekeyMemory,
  ): SeenPrekey | undefined {
    if (keys.length === 0) return undefined;
    return transaction(this.db, () => {
      prepared(this.db, "DELETE FROM remote_prekeys_seen WHERE seen_at < ?")
        .run(now - memory.keepMs);
      for (const key of keys) {
        const seen = selectOne<{ n: number }>(
          this.db,
          `SELECT 1 AS n FROM remote_prekeys_seen
           WHERE server = ? AND username = ? AND kind = ? AND public_key = ?`,
          server,
          username,
          key.kind,
          key.publicKey,
        );
        if (seen) return key;
      }
      for (const key of keys) {
        prepared(
          this.db,
          `INSERT INTO remote_prekeys_seen (server, username, kind, public_key, seen_at)
           VALUES (?, ?, ?, ?, ?)`,
        ).run(server, username, key.kind, key.publicKey, now);
      }
      prepared(
        this.db,
        `DELETE FROM remote_prekeys_seen WHERE server = ? AND username = ? AND public_key IN (
           SELECT public_key FROM remote_prekeys_seen WHERE server = ? AND username = ?
           ORDER BY seen_at DESC LIMIT -1 OFFSET ?)`,
      ).run(server, username, server, username, memory.maxPerUser);
      return undefined;
    });
  }

  /** How many one-time prekeys of `server`'s `username` are remembered. */
  count(server: string, username: string): number {
    const row = selectOne<{ n: number }>(
      this.db,
      "SELECT count(*) AS n FROM remote_prekeys_seen WHERE server = ? AND username = ?",
      server,
      username,
    );
    return Number(row?.n ?? 0);
  }
}
