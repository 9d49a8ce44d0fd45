/**
 * The peer.db columns that hold secret keys, sealed at rest (sealed_column.ts): our X25519
 * private keys, our ML-KEM seeds and the ratchet states (room chains and file keys were sealed
 * from the start, by their own stores). A profile written before they were sealed has them in
 * plaintext: the migration that introduced sealing marks it ("keys-at-rest" = "plaintext"), and
 * the profile opener seals every such row once with sealExistingKeys — in one transaction, so a
 * process killed midway leaves the rows as they were and the next open starts again.
 * `tincan profile check` opens every sealed value (unopenedKeys) to name the damaged ones.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll, transaction } from "../../store/database.ts";
import { getSetting, setSetting } from "../../store/settings.ts";
import { ownKemSeeds } from "./own_kem_keys.ts";
import { ownKeyName, ownKeyRow, ownPrivateKeys } from "./own_keys.ts";
import { sessionName, sessionRow, sessionStates } from "./ratchet_sessions.ts";
import type { SealedColumn } from "./sealed_column.ts";

/** The setting that says whether the key columns are sealed yet: "plaintext" or "sealed". */
const KEYS_AT_REST_SETTING = "keys-at-rest";

/** One stored value of a sealed key column, with what its row is keyed by. */
interface KeyRow {
  rowid: number;
  value: Uint8Array;
  kind: number;
  id: number;
  username: string;
  session_id: Uint8Array;
}

/** A sealed key column: how to read its rows, bind a value to its row and name it. */
interface KeyColumn {
  readonly column: (storageKey: Uint8Array) => SealedColumn;
  /** Selects rowid, value and the row-key columns KeyRow names. */
  readonly select: string;
  rowKey(row: KeyRow): Uint8Array;
  name(row: KeyRow): string;
}

const KEY_COLUMNS: readonly KeyColumn[] = [
  {
    column: ownPrivateKeys,
    select: "SELECT rowid, private_key AS value, kind, id FROM own_keys",
    rowKey: (row) => ownKeyRow(Number(row.kind), Number(row.id)),
    name: (row) => `the private key of ${ownKeyName(Number(row.kind), Number(row.id))}`,
  },
  {
    column: ownKemSeeds,
    select: "SELECT rowid, seed AS value, kind, id FROM own_kem_keys",
    rowKey: (row) => ownKeyRow(Number(row.kind), Number(row.id)),
    name: (row) => `the seed of ${ownKeyName(Number(row.kind), Number(row.id))}`,
  },
  {
    column: sessionStates,
    select: "SELECT rowid, state AS value, username, session_id FROM sessions",
    rowKey: (row) => sessionRow(row.username, new Uint8Array(row.session_id)),
    name: (row) => sessionName(row.username, new Uint8Array(row.session_id)),
  },
];

/** Whether the key columns of `db` are sealed ("sealed"), else they may hold plaintext. */
export function keysSealed(db: DatabaseSync): boolean {
  // No setting at all: a schema from before sealing (not migrated yet), so plaintext.
  return getSetting(db, KEYS_AT_REST_SETTING) === "sealed";
}

/** Options of sealExistingKeys. */
export interface SealExistingOptions {
  /** Told after each value is sealed, with how many so far (a test stops the process there). */
  readonly onSealed?: (count: number) => void;
}

/**
 * Seals, with `storageKey`, every plaintext value of the key columns of `db` and marks them
 * sealed, in one transaction; nothing when they are sealed already. A value that already opens
 * is left as it is, so running it twice cannot seal anything twice. Returns how many it sealed.
 */
export function sealExistingKeys(
  db: DatabaseSync,
  storageKey: Uint8Array,
  options: SealExistingOptions = {},
): number {
  if (keysSealed(db)) return 0;
  return transaction(db, () => {
    if (keysSealed(db)) return 0; // another process did it while we waited for the lock
    let count = 0;
    for (const spec of KEY_COLUMNS) {
      const column = spec.column(storageKey);
      const update = `UPDATE ${column.table} SET ${column.column} = ? WHERE rowid = ?`;
      for (const row of selectAll<KeyRow>(db, spec.select)) {
        const value = new Uint8Array(row.value);
        const rowKey = spec.rowKey(row);
        if (column.tryOpen(rowKey, value) !== undefined) continue;
        prepared(db, update).run(column.seal(rowKey, value), row.rowid);
        options.onSealed?.(++count);
      }
    }
    setSetting(db, KEYS_AT_REST_SETTING, "sealed");
    return count;
  });
}

/** What unopenedKeys found. */
export interface KeyCheck {
  /** How many sealed values there are. */
  readonly total: number;
  /** The names of those that do not open ("the private key of signed prekey 3"). */
  readonly unopened: readonly string[];
}

/**
 * Opens every sealed value of the key columns of `db` with `storageKey` (none when they are not
 * sealed yet: the opener seals them first), and names those that do not open.
 */
export function unopenedKeys(db: DatabaseSync, storageKey: Uint8Array): KeyCheck {
  if (!keysSealed(db)) return { total: 0, unopened: [] };
  let total = 0;
  const unopened: string[] = [];
  for (const spec of KEY_COLUMNS) {
    const column = spec.column(storageKey);
    for (const row of selectAll<KeyRow>(db, spec.select)) {
      total++;
      if (column.tryOpen(spec.rowKey(row), new Uint8Array(row.value)) === undefined) {
        unopened.push(`${spec.name(row)} (${column.table}.${column.column})`);
      }
    }
  }
  return { total, unopened };
}
