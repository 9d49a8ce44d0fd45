/**
 * The prekeys users publish at the rendezvous: an identity-DH key and signed prekey per user, and
 * a pool of one-time prekeys, each handed out at most once.
 */
import type { DatabaseSync } from "node:sqlite";
import { SignedKey } from "../../proto/services.ts";
import { prepared, selectOne, transaction } from "../../store/database.ts";

/** A user's published key material. */
export interface PublishedPrekeys {
  readonly identityDhKey: SignedKey;
  readonly signedPrekey: SignedKey;
}

/** The identity_prekeys and one_time_prekeys tables. */
export class PrekeyStore {
  constructor(private readonly db: DatabaseSync) {}

  /**
   * Replaces the identity-DH key and signed prekey of `username` and adds one-time prekeys
   * (an id already stored is replaced; all stored ones first dropped with `replaceOneTime`),
   * keeping at most `maxStored`. Returns how many are stored.
   */
  publish(
    username: string,
    keys: PublishedPrekeys,
    oneTime: readonly SignedKey[],
    maxStored: number,
    now: number,
    replaceOneTime = false,
  ): number {
    return transaction(this.db, () => {
      prepared(
        this.db,
        `INSERT INTO identity_prekeys (username, identity_dh, signed_prekey, updated_at)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET identity_dh = excluded.identity_dh,
           signed_prekey = excluded.signed_prekey, updated_at = excluded.updated_at`,
      ).run(
        username,
        SignedKey.encode(keys.identityDhKey),
        SignedKey.encode(keys.signedPrekey),
        now,
      );
      if (replaceOneTime) {
        prepared(this.db, "DELETE FROM one_time_prekeys WHERE username = ?").run(username);
      }
      const insert = prepared(
        this.db,
        "INSERT OR REPLACE INTO one_time_prekeys (username, id, signed_key) VALUES (?, ?, ?)",
      );
      for (const key of oneTime) insert.run(username, key.id, SignedKey.encode(key));
      const stored = this.oneTimeCount(username);
      if (stored > maxStored) {
        throw new RangeError(
          `${stored} one-time prekeys would be stored; the limit is ${maxStored}`,
        );
      }
      return stored;
    });
  }

  /** The identity-DH key and signed prekey of `username`, or undefined. */
  published(username: string): PublishedPrekeys | undefined {
    const row = selectOne<{ identity_dh: Uint8Array; signed_prekey: Uint8Array }>(
      this.db,
      "SELECT identity_dh, signed_prekey FROM identity_prekeys WHERE username = ?",
      username,
    );
    return row && {
      identityDhKey: SignedKey.decode(row.identity_dh),
      signedPrekey: SignedKey.decode(row.signed_prekey),
    };
  }

  /** Removes and returns one one-time prekey of `username` (lowest id first), or undefined. */
  takeOneTime(username: string): SignedKey | undefined {
    const row = selectOne<{ signed_key: Uint8Array }>(
      this.db,
      `DELETE FROM one_time_prekeys WHERE rowid =
         (SELECT rowid FROM one_time_prekeys WHERE username = ? ORDER BY id LIMIT 1)
       RETURNING signed_key`,
      username,
    );
    return row && SignedKey.decode(row.signed_key);
  }

  /** How many one-time prekeys of `username` are stored. */
  oneTimeCount(username: string): number {
    const row = selectOne<{ n: number }>(
      this.db,
      "SELECT count(*) AS n FROM one_time_prekeys WHERE username = ?",
      username,
    );
    return Number(row?.n ?? 0);
  }
}
