/**
 * The prekeys users publish at the rendezvous: an identity-DH key and signed prekey per user, and
 * a pool of one-time prekeys, each handed out at most once; from a PQXDH-capable version also an
 * ML-KEM-768 last-resort prekey and a pool of one-time ML-KEM-768 prekeys, handed out the same way.
 *
 * A KEM prekey id names one key: a key uploaded again under its id (a retried upload) is stored
 * once, another key under an id still stored is refused (PrekeyIdInUseError), because the first
 * message names the KEM prekey it used by id and the owner could not tell two apart.
 */
import type { DatabaseSync } from "node:sqlite";
import { bytesEqual } from "../../crypto/bytes.ts";
import { SignedKey } from "../../proto/services.ts";
import { prepared, selectOne, transaction } from "../../store/database.ts";

/** The X25519 keys a user publishes besides one-time prekeys. */
export interface X25519Prekeys {
  readonly identityDhKey: SignedKey;
  readonly signedPrekey: SignedKey;
}

/** A user's published key material. */
export interface PublishedPrekeys extends X25519Prekeys {
  /** The ML-KEM-768 last-resort prekey; absent when the user's version has no PQXDH. */
  readonly kemLastResortPrekey?: SignedKey;
}

/** The ML-KEM-768 prekeys of one upload, and the pool's cap. */
export interface KemPublication {
  /** Replaces the stored last-resort KEM prekey. */
  readonly lastResortPrekey: SignedKey;
  /** Added to the one-time KEM pool. */
  readonly oneTimePrekeys: readonly SignedKey[];
  /** The most one-time KEM prekeys kept for the user. */
  readonly maxStored: number;
}

/** A pool of one-time keys: its table, and what its keys are called in messages. */
interface Pool {
  readonly table: "one_time_prekeys" | "kem_one_time_prekeys";
  readonly what: string;
}

const ONE_TIME: Pool = { table: "one_time_prekeys", what: "one-time prekeys" };
const KEM_ONE_TIME: Pool = { table: "kem_one_time_prekeys", what: "one-time KEM prekeys" };

/** An upload named a KEM prekey id the store already holds with another key. */
export class PrekeyIdInUseError extends Error {
  override name = "PrekeyIdInUseError";
}

/** The identity_prekeys and one_time_prekeys tables. */
export class PrekeyStore {
  constructor(private readonly db: DatabaseSync) {}

  /**
   * Replaces the identity-DH key and signed prekey of `username` and adds one-time prekeys
   * (an id already stored is replaced), keeping at most `maxStored`; with `kem`, replaces the
   * last-resort KEM prekey and adds one-time KEM prekeys, keeping at most `kem.maxStored`. Without
   * `kem` (a version without PQXDH) the user's KEM prekeys are dropped: their private halves are
   * not on the device that uploads. With `replaceOneTime` (a device that lost its private keys: a
   * repaired profile) both one-time pools are first emptied and the last-resort KEM prekey is
   * replaced even under the stored one's id. All or nothing. Returns how many one-time prekeys are
   * stored.
   * @throws RangeError when a pool would exceed its cap; PrekeyIdInUseError when a KEM prekey id
   * is stored with another key.
   */
  publish(
    username: string,
    keys: X25519Prekeys,
    oneTime: readonly SignedKey[],
    maxStored: number,
    now: number,
    kem?: KemPublication,
    replaceOneTime = false,
  ): number {
    return transaction(this.db, () => {
      if (replaceOneTime) {
        for (const pool of [ONE_TIME, KEM_ONE_TIME]) {
          prepared(this.db, `DELETE FROM ${pool.table} WHERE username = ?`).run(username);
        }
      }
      const lastResort = kem &&
        (replaceOneTime
          ? SignedKey.encode(kem.lastResortPrekey)
          : this.#lastResortRow(username, kem.lastResortPrekey));
      prepared(
        this.db,
        `INSERT INTO identity_prekeys (username, identity_dh, signed_prekey, updated_at,
           kem_last_resort)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET identity_dh = excluded.identity_dh,
           signed_prekey = excluded.signed_prekey, updated_at = excluded.updated_at,
           kem_last_resort = excluded.kem_last_resort`,
      ).run(
        username,
        SignedKey.encode(keys.identityDhKey),
        SignedKey.encode(keys.signedPrekey),
        now,
        lastResort ?? null,
      );
      const insert = prepared(
        this.db,
        "INSERT OR REPLACE INTO one_time_prekeys (username, id, signed_key) VALUES (?, ?, ?)",
      );
      for (const key of oneTime) insert.run(username, key.id, SignedKey.encode(key));
      const stored = this.#checkCap(ONE_TIME, username, maxStored);
      if (kem) {
        this.#addKemOneTime(username, kem.oneTimePrekeys);
        this.#checkCap(KEM_ONE_TIME, username, kem.maxStored);
      } else {
        prepared(this.db, "DELETE FROM kem_one_time_prekeys WHERE username = ?").run(username);
      }
      return stored;
    });
  }

  /** The row of a new last-resort KEM prekey, refused when it reuses the stored one's id. */
  #lastResortRow(username: string, key: SignedKey): Uint8Array {
    const encoded = SignedKey.encode(key);
    const stored = selectOne<{ kem_last_resort: Uint8Array | null }>(
      this.db,
      "SELECT kem_last_resort FROM identity_prekeys WHERE username = ?",
      username,
    )?.kem_last_resort;
    if (stored && SignedKey.decode(stored).id === key.id && !bytesEqual(stored, encoded)) {
      throw new PrekeyIdInUseError(
        `last-resort KEM prekey id ${key.id} is already stored with another key`,
      );
    }
    return encoded;
  }

  /** Adds one-time KEM prekeys: a key already stored under its id is skipped, another refused. */
  #addKemOneTime(username: string, keys: readonly SignedKey[]): void {
    const insert = prepared(
      this.db,
      `INSERT INTO kem_one_time_prekeys (username, id, signed_key) VALUES (?, ?, ?)
       ON CONFLICT (username, id) DO NOTHING`,
    );
    for (const key of keys) {
      const encoded = SignedKey.encode(key);
      if (Number(insert.run(username, key.id, encoded).changes) === 1) continue;
      const stored = selectOne<{ same: number }>(
        this.db,
        "SELECT signed_key = ? AS same FROM kem_one_time_prekeys WHERE username = ? AND id = ?",
        encoded,
        username,
        key.id,
      );
      if (stored?.same !== 1) {
        throw new PrekeyIdInUseError(
          `one-time KEM prekey id ${key.id} is already stored with another key`,
        );
      }
    }
  }

  /** How many keys `username` has in `pool`. @throws RangeError when more than `max`. */
  #checkCap(pool: Pool, username: string, max: number): number {
    const stored = this.#count(pool, username);
    if (stored > max) {
      throw new RangeError(`${stored} ${pool.what} would be stored; the limit is ${max}`);
    }
    return stored;
  }

  /** The identity-DH key, signed prekey and last-resort KEM prekey of `username`, or undefined. */
  published(username: string): PublishedPrekeys | undefined {
    const row = selectOne<{
      identity_dh: Uint8Array;
      signed_prekey: Uint8Array;
      kem_last_resort: Uint8Array | null;
    }>(
      this.db,
      "SELECT identity_dh, signed_prekey, kem_last_resort FROM identity_prekeys WHERE username = ?",
      username,
    );
    return row && {
      identityDhKey: SignedKey.decode(row.identity_dh),
      signedPrekey: SignedKey.decode(row.signed_prekey),
      ...(row.kem_last_resort
        ? { kemLastResortPrekey: SignedKey.decode(row.kem_last_resort) }
        : {}),
    };
  }

  /** Removes and returns one one-time prekey of `username` (lowest id first), or undefined. */
  takeOneTime(username: string): SignedKey | undefined {
    return this.#take(ONE_TIME, username);
  }

  /** How many one-time prekeys of `username` are stored. */
  oneTimeCount(username: string): number {
    return this.#count(ONE_TIME, username);
  }

  /** Removes and returns one one-time KEM prekey of `username` (lowest id first), or undefined. */
  takeKemOneTime(username: string): SignedKey | undefined {
    return this.#take(KEM_ONE_TIME, username);
  }

  /** How many one-time KEM prekeys of `username` are stored. */
  kemOneTimeCount(username: string): number {
    return this.#count(KEM_ONE_TIME, username);
  }

  /**
   * Removes and returns the lowest-id key of `username` in `pool`: one DELETE … RETURNING, so
   * no two lookups, however they interleave, get the same key.
   */
  #take(pool: Pool, username: string): SignedKey | undefined {
    const row = selectOne<{ signed_key: Uint8Array }>(
      this.db,
      `DELETE FROM ${pool.table} WHERE rowid =
         (SELECT rowid FROM ${pool.table} WHERE username = ? ORDER BY id LIMIT 1)
       RETURNING signed_key`,
      username,
    );
    return row && SignedKey.decode(row.signed_key);
  }

  #count(pool: Pool, username: string): number {
    const row = selectOne<{ n: number }>(
      this.db,
      `SELECT count(*) AS n FROM ${pool.table} WHERE username = ?`,
      username,
    );
    return Number(row?.n ?? 0);
  }
}
