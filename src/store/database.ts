/**
 * Opens a SQLite database (node:sqlite) in WAL mode and brings its schema up to date with
 * versioned migrations. Each migration runs in its own transaction with its version bump.
 */
import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";

/** One schema step: `version` is 1 for the first and grows by one. */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

/**
 * Opens `path` (":memory:" for tests) and applies the migrations it has not seen.
 * @throws RangeError when the database was written by a newer tincan (unknown version).
 */
export function openDatabase(path: string, migrations: readonly Migration[]): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA busy_timeout = 5000");
    // Deleted rows (used one-time prekeys, old chain keys, acknowledged mail) are overwritten,
    // not left readable in free pages; checkpointWal moves the WAL's copies out too.
    db.exec("PRAGMA secure_delete = ON");
    migrate(db, migrations);
  } catch (err: unknown) {
    db.close();
    throw err;
  }
  return db;
}

function migrate(db: DatabaseSync, migrations: readonly Migration[]): void {
  const current = Number(
    selectOne<{ user_version: number }>(db, "PRAGMA user_version")?.user_version,
  );
  const latest = migrations.length;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new RangeError(`migration ${i + 1} has version ${m.version}`);
  });
  if (current > latest) {
    throw new RangeError(
      `Cannot open the database: its schema version ${current} is newer than this tincan (${latest})`,
    );
  }
  for (const m of migrations.slice(current)) {
    transaction(db, () => {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
    });
  }
}

/**
 * Opens a database that only its owner may read: the file is created owner-only before SQLite
 * first opens it, because SQLite gives its -wal and -shm files (which hold recent writes) the
 * database file's mode; existing files are tightened too.
 * @throws RangeError as openDatabase does.
 */
export async function openPrivateDatabase(
  path: string,
  migrations: readonly Migration[],
): Promise<DatabaseSync> {
  await Deno.writeFile(path, new Uint8Array(0), { append: true, mode: 0o600 });
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    await Deno.chmod(file, 0o600).catch((err: unknown) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
  return openDatabase(path, migrations);
}

/**
 * Runs `work` in a transaction: committed when it returns, rolled back when it throws. The error
 * of `work` (or of the commit) is the one thrown: SQLite rolls back by itself on some errors
 * (SQLITE_FULL …), so the rollback runs only when the transaction is still active.
 */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (err: unknown) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

const statements = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/**
 * The prepared statement for `sql` on `db`, prepared once and reused: preparing costs several
 * times more than running a small statement.
 */
export function prepared(db: DatabaseSync, sql: string): StatementSync {
  let cache = statements.get(db);
  if (cache === undefined) statements.set(db, cache = new Map());
  let statement = cache.get(sql);
  if (statement === undefined) cache.set(sql, statement = db.prepare(sql));
  return statement;
}

/**
 * The shape of a row a SELECT returns: its column names (as the SQL names them) and the SQLite
 * value types node:sqlite gives them (INTEGER as number, BLOB as Uint8Array, TEXT as string …).
 */
export type RowShape<T> = { readonly [K in keyof T]: SQLOutputValue };

/**
 * The first row `sql` yields on `db` with `params`, or undefined when there is none. `T` states
 * the columns the SELECT names; this is the one place that takes SQLite's word for them.
 */
export function selectOne<T extends RowShape<T>>(
  db: DatabaseSync,
  sql: string,
  ...params: SQLInputValue[]
): T | undefined {
  return prepared(db, sql).get(...params) as T | undefined;
}

/** Every row `sql` yields on `db` with `params`, in order, with the columns `T` states. */
export function selectAll<T extends RowShape<T>>(
  db: DatabaseSync,
  sql: string,
  ...params: SQLInputValue[]
): T[] {
  return prepared(db, sql).all(...params) as T[];
}

/**
 * Writes the WAL into the database and truncates it, so that what secure_delete overwrote is not
 * still readable in the WAL file (key material deleted since the last checkpoint). Cheap when
 * little changed; call it after deleting keys and before closing.
 */
export function checkpointWal(db: DatabaseSync): void {
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}
