/**
 * Our own ML-KEM-768 prekeys in the peer database (PQXDH): last-resort prekeys (the newest is
 * published; a replaced one is kept for a grace period counted from its replacement) and
 * one-time prekeys (deleted once used). Ids are random, drawn by PrekeyManager.
 */
import type { DatabaseSync } from "node:sqlite";
import type { KemKeyPair } from "../../crypto/kem.ts";
import type { PrekeyKind } from "../../crypto/prekeys.ts";
import type { SignedKey } from "../../proto/services.ts";
import { prepared, selectOne } from "../../store/database.ts";

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

function fromRow(row: Row): OwnKemKey {
  const key: OwnKemKey = {
    kind: Number(row.kind) as KemPrekeyKind,
    id: Number(row.id),
    pair: { seed: new Uint8Array(row.seed), publicKey: new Uint8Array(row.public_key) },
    signature: new Uint8Array(row.signature),
    createdAt: Number(row.created_at),
  };
  return row.replaced_at === null ? key : { ...key, replacedAt: Number(row.replaced_at) };
}

/** The public, signed form of a KEM prekey, as published. */
export function publicKemForm(key: OwnKemKey): SignedKey {
  return { id: key.id, publicKey: key.pair.publicKey, signature: key.signature };
}

/** The own_kem_keys table. */
export class OwnKemKeyStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Stores a key. */
  add(key: OwnKemKey): void {
    prepared(
      this.db,
      `INSERT INTO own_kem_keys (kind, id, seed, public_key, signature, created_at, replaced_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      key.kind,
      key.id,
      key.pair.seed,
      key.pair.publicKey,
      key.signature,
      key.createdAt,
      key.replacedAt ?? null,
    );
  }

  /** The key of `kind` with `id`, or undefined (unknown, used, or past its grace period). */
  get(kind: KemPrekeyKind, id: number): OwnKemKey | undefined {
    const row = selectOne<Row>(
      this.db,
      "SELECT * FROM own_kem_keys WHERE kind = ? AND id = ?",
      kind,
      id,
    );
    return row && fromRow(row);
  }

  /** The published (not replaced) key of `kind` made last, or undefined. */
  current(kind: KemPrekeyKind): OwnKemKey | undefined {
    const row = selectOne<Row>(
      this.db,
      `SELECT * FROM own_kem_keys WHERE kind = ? AND replaced_at IS NULL
         ORDER BY created_at DESC, id DESC LIMIT 1`,
      kind,
    );
    return row && fromRow(row);
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
}
