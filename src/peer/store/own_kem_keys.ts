/**
 * Our own ML-KEM-768 prekeys in the peer database (PQXDH): last-resort prekeys (the newest is
 * published; a replaced one is kept for a grace period counted from its replacement) and
 * one-time prekeys (deleted once used). Ids are random, drawn by PrekeyManager. Seeds are sealed
 * with the storage key, bound to their row (sealed_column.ts).
 */
import type { DatabaseSync } from "node:sqlite";
import type { KemKeyPair } from "../../crypto/kem.ts";
import type { PrekeyKind } from "../../crypto/prekeys.ts";
import type { SignedKey } from "../../proto/services.ts";
import { prepared, selectOne } from "../../store/database.ts";
import { ownKeyName, ownKeyRow } from "./own_keys.ts";
import { SealedColumn } from "./sealed_column.ts";

/** The KEM prekey kinds. */
export type KemPrekeyKind = PrekeyKind.KemLastResort | PrekeyKind.KemOneTime;

/** One of our KEM prekeys with its signature. */
export interface OwnKemKey {
  readonly kind: KemPrekeyKind;
  readonly id: number;
  readonly pair: KemKeyPair;
  readonly signature: Uint8Array;
  readonly createdAt: number;
  /** When a newer last-resort prekey replaced this one; absent while it is the published one. */
  readonly replacedAt?: number;
}

interface Row {
  kind: number;
  id: number;
  seed: Uint8Array;
  public_key: Uint8Array;
  signature: Uint8Array;
  created_at: number;
  replaced_at: number | null;
}

/** The sealed seed column of own_kem_keys (rows keyed by ownKeyRow, as own_keys). */
export function ownKemSeeds(storageKey: Uint8Array): SealedColumn {
  return new SealedColumn(storageKey, "own_kem_keys", "seed");
}

/** The public, signed form of a KEM prekey, as published. */
export function publicKemForm(key: OwnKemKey): SignedKey {
  return { id: key.id, publicKey: key.pair.publicKey, signature: key.signature };
}

/** The own_kem_keys table. */
export class OwnKemKeyStore {
  readonly #seeds: SealedColumn;

  /** The own_kem_keys table of `db`, its seeds sealed with `storageKey`. */
  constructor(private readonly db: DatabaseSync, storageKey: Uint8Array) {
    this.#seeds = ownKemSeeds(storageKey);
  }

  /** Stores a key (its seed sealed). */
  add(key: OwnKemKey): void {
    prepared(
      this.db,
      `INSERT INTO own_kem_keys (kind, id, seed, public_key, signature, created_at, replaced_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      key.kind,
      key.id,
      this.#seeds.seal(ownKeyRow(key.kind, key.id), key.pair.seed),
      key.pair.publicKey,
      key.signature,
      key.createdAt,
      key.replacedAt ?? null,
    );
  }

  /**
   * The key of `kind` with `id`, or undefined (unknown, used, or past its grace period).
   * @throws DecryptionError when its sealed seed does not open (sealed_column.ts).
   */
  get(kind: KemPrekeyKind, id: number): OwnKemKey | undefined {
    const row = selectOne<Row>(
      this.db,
      "SELECT * FROM own_kem_keys WHERE kind = ? AND id = ?",
      kind,
      id,
    );
    return row && this.#fromRow(row);
  }

  /**
   * The published (not replaced) key of `kind` made last, or undefined.
   * @throws DecryptionError when its sealed seed does not open (sealed_column.ts).
   */
  current(kind: KemPrekeyKind): OwnKemKey | undefined {
    const row = selectOne<Row>(
      this.db,
      `SELECT * FROM own_kem_keys WHERE kind = ? AND replaced_at IS NULL
         ORDER BY created_at DESC, id DESC LIMIT 1`,
      kind,
    );
    return row && this.#fromRow(row);
  }

  /** Marks every published key of `kind` but `keep` replaced at `now`. */
  replaceAllBut(kind: KemPrekeyKind, keep: number, now: number): void {
    prepared(
      this.db,
      "UPDATE own_kem_keys SET replaced_at = ? WHERE kind = ? AND id != ? AND replaced_at IS NULL",
    ).run(now, kind, keep);
  }

  /** Deletes the keys of `kind` replaced before `before`. Returns how many. */
  deleteReplacedBefore(kind: KemPrekeyKind, before: number): number {
    const result = prepared(
      this.db,
      "DELETE FROM own_kem_keys WHERE kind = ? AND replaced_at IS NOT NULL AND replaced_at < ?",
    ).run(kind, before);
    return Number(result.changes);
  }

  /** Deletes the keys of `kind` created before `before` (old unused one-time ones). */
  deleteCreatedBefore(kind: KemPrekeyKind, before: number): number {
    const result = prepared(
      this.db,
      "DELETE FROM own_kem_keys WHERE kind = ? AND created_at < ?",
    ).run(kind, before);
    return Number(result.changes);
  }

  /** Deletes one key (a one-time prekey once used). */
  delete(kind: KemPrekeyKind, id: number): void {
    prepared(this.db, "DELETE FROM own_kem_keys WHERE kind = ? AND id = ?").run(kind, id);
  }

  /** How many keys of `kind` are stored. */
  count(kind: KemPrekeyKind): number {
    const row = selectOne<{ n: number }>(
      this.db,
      "SELECT count(*) AS n FROM own_kem_keys WHERE kind = ?",
      kind,
    );
    return Number(row?.n ?? 0);
  }

  #fromRow(row: Row): OwnKemKey {
    const kind = Number(row.kind) as KemPrekeyKind;
    const id = Number(row.id);
    const seed = this.#seeds.open(
      ownKeyRow(kind, id),
      new Uint8Array(row.seed),
      `the seed of ${ownKeyName(kind, id)}`,
    );
    const key: OwnKemKey = {
      kind,
      id,
      pair: { seed, publicKey: new Uint8Array(row.public_key) },
      signature: new Uint8Array(row.signature),
      createdAt: Number(row.created_at),
    };
    return row.replaced_at === null ? key : { ...key, replacedAt: Number(row.replaced_at) };
  }
}
