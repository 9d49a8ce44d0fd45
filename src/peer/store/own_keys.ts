/**
 * Our own X25519 keys in the peer database: the identity-DH key, signed prekeys (the newest is
 * published; older ones are kept for a grace period) and one-time prekeys (deleted once used).
 * Private keys are sealed with the storage key, bound to their row (sealed_column.ts).
 */
import type { DatabaseSync } from "node:sqlite";
import { PrekeyKind } from "../../crypto/prekeys.ts";
import type { X25519KeyPair } from "../../crypto/primitives.ts";
import type { SignedKey } from "../../proto/services.ts";
import { prepared, selectOne } from "../../store/database.ts";
import { SealedColumn, textRowKey } from "./sealed_column.ts";

/** One of our keys with its signature. */
export interface OwnKey {
  readonly kind: PrekeyKind;
  readonly id: number;
  readonly pair: X25519KeyPair;
  readonly signature: Uint8Array;
  readonly createdAt: number;
}

interface Row {
  kind: number;
  id: number;
  private_key: Uint8Array;
  public_key: Uint8Array;
  signature: Uint8Array;
  created_at: number;
}

/** The names of our key kinds (X25519 and ML-KEM), for messages. */
const KIND_NAMES: Readonly<Record<number, string>> = {
  [PrekeyKind.IdentityDh]: "identity-DH key",
  [PrekeyKind.Signed]: "signed prekey",
  [PrekeyKind.OneTime]: "one-time prekey",
  [PrekeyKind.KemLastResort]: "last-resort KEM prekey",
  [PrekeyKind.KemOneTime]: "one-time KEM prekey",
};

/** Our key `id` of `kind` as messages name it ("signed prekey 3", "the identity-DH key"). */
export function ownKeyName(kind: number, id: number): string {
  if (kind === PrekeyKind.IdentityDh) return "the identity-DH key";
  return `${KIND_NAMES[kind] ?? `key of kind ${kind}`} ${id}`;
}

/** The row key "kind:id" of our key `id` of `kind`, which its sealed secret is bound to. */
export function ownKeyRow(kind: number, id: number): Uint8Array {
  return textRowKey(kind, id);
}

/** The sealed private_key column of own_keys (rows keyed by ownKeyRow). */
export function ownPrivateKeys(storageKey: Uint8Array): SealedColumn {
  return new SealedColumn(storageKey, "own_keys", "private_key");
}

/** The public, signed form of a key, as published. */
export function publicForm(key: OwnKey): SignedKey {
  return { id: key.id, publicKey: key.pair.publicKey, signature: key.signature };
}

/** The own_keys table. */
export class OwnKeyStore {
  readonly #privateKeys: SealedColumn;

  /** The own_keys table of `db`, its private keys sealed with `storageKey`. */
  constructor(private readonly db: DatabaseSync, storageKey: Uint8Array) {
    this.#privateKeys = ownPrivateKeys(storageKey);
  }

  /** Stores a key (its private key sealed). */
  add(key: OwnKey): void {
    const sealed = this.#privateKeys.seal(ownKeyRow(key.kind, key.id), key.pair.privateKey);
    prepared(
      this.db,
      "INSERT INTO own_keys (kind, id, private_key, public_key, signature, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(key.kind, key.id, sealed, key.pair.publicKey, key.signature, key.createdAt);
  }

  /**
   * The key of `kind` with `id`, or undefined.
   * @throws DecryptionError when its sealed private key does not open (sealed_column.ts).
   */
  get(kind: PrekeyKind, id: number): OwnKey | undefined {
    const row = selectOne<Row>(
      this.db,
      "SELECT * FROM own_keys WHERE kind = ? AND id = ?",
      kind,
      id,
    );
    return row && this.#fromRow(row);
  }

  /**
   * The newest key of `kind`, or undefined.
   * @throws DecryptionError when its sealed private key does not open (sealed_column.ts).
   */
  newest(kind: PrekeyKind): OwnKey | undefined {
    const row = selectOne<Row>(
      this.db,
      "SELECT * FROM own_keys WHERE kind = ? ORDER BY created_at DESC, id DESC LIMIT 1",
      kind,
    );
    return row && this.#fromRow(row);
  }

  /** The next unused id of `kind` (ids only grow, so a used one-time prekey id never returns). */
  nextId(kind: PrekeyKind): number {
    const name = `next-key-id-${kind}`;
    const row = selectOne<{ value: string }>(
      this.db,
      "SELECT value FROM settings WHERE name = ?",
      name,
    );
    const id = row ? Number(row.value) : 1;
    prepared(
      this.db,
      "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    ).run(name, String(id + 1));
    return id;
  }

  /** Deletes one key (a one-time prekey once used). */
  delete(kind: PrekeyKind, id: number): void {
    prepared(this.db, "DELETE FROM own_keys WHERE kind = ? AND id = ?").run(kind, id);
  }

  /** Deletes keys of `kind` created before `before`, except the newest. Returns how many. */
  deleteOlderThan(kind: PrekeyKind, before: number): number {
    const newest = this.newest(kind);
    const result = prepared(
      this.db,
      "DELETE FROM own_keys WHERE kind = ? AND created_at < ? AND id != ?",
    ).run(kind, before, newest?.id ?? -1);
    return Number(result.changes);
  }

  /**
   * Deletes keys of `kind` that a newer key replaced before `before` — a key is replaced when the
   * next one is created — so a replaced key lives on for the whole grace period after its
   * replacement, not after its own creation. The newest key is never deleted. Returns how many.
   */
  deleteReplacedBefore(kind: PrekeyKind, before: number): number {
    const result = prepared(
      this.db,
      `DELETE FROM own_keys AS old WHERE old.kind = ? AND EXISTS (
         SELECT 1 FROM own_keys AS next
         WHERE next.kind = old.kind AND next.created_at > old.created_at AND next.created_at < ?
       )`,
    ).run(kind, before);
    return Number(result.changes);
  }

  /** How many keys of `kind` are stored. */
  count(kind: PrekeyKind): number {
    const row = selectOne<{ n: number }>(
      this.db,
      "SELECT count(*) AS n FROM own_keys WHERE kind = ?",
      kind,
    );
    return Number(row?.n ?? 0);
  }

  #fromRow(row: Row): OwnKey {
    const kind = Number(row.kind) as PrekeyKind;
    const id = Number(row.id);
    return {
      kind,
      id,
      pair: {
        privateKey: this.#privateKeys.open(
          ownKeyRow(kind, id),
          new Uint8Array(row.private_key),
          `the private key of ${ownKeyName(kind, id)}`,
        ),
        publicKey: new Uint8Array(row.public_key),
      },
      signature: new Uint8Array(row.signature),
      createdAt: Number(row.created_at),
    };
  }
}
