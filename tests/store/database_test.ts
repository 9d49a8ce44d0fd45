import assert from "node:assert/strict";
import {
  type Migration,
  openDatabase,
  prepared,
  selectAll,
  selectOne,
  transaction,
} from "../../src/store/database.ts";
import { storageFailure } from "../../src/store/storage_failure.ts";
import { capPages } from "./cap_pages.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../src/rendezvous/store/schema.ts";

const MIGRATIONS: readonly Migration[] = [
  { version: 1, sql: "CREATE TABLE t (x INTEGER NOT NULL) STRICT;" },
  { version: 2, sql: "ALTER TABLE t ADD COLUMN y TEXT; INSERT INTO t (x, y) VALUES (1, 'v2');" },
];

function userVersion(db: ReturnType<typeof openDatabase>): number {
  return Number(selectOne<{ user_version: number }>(db, "PRAGMA user_version")?.user_version);
}

async function withTempDir(work: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-db-test-" });
  try {
    await work(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("openDatabase applies all migrations to a new database and sets user_version", () => {
  const db = openDatabase(":memory:", MIGRATIONS);
  try {
    assert.equal(userVersion(db), 2);
    assert.deepEqual({ ...db.prepare("SELECT x, y FROM t").get() }, { x: 1, y: "v2" });
    assert.equal(
      Number((db.prepare("PRAGMA foreign_keys").get() as { foreign_keys: number }).foreign_keys),
      1,
    );
  } finally {
    db.close();
  }
});

Deno.test("openDatabase applies each migration once and only the new ones later", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/test.db`;
    const v1 = openDatabase(path, MIGRATIONS.slice(0, 1));
    assert.equal(userVersion(v1), 1);
    v1.prepare("INSERT INTO t (x) VALUES (7)").run();
    v1.close();

    const v2 = openDatabase(path, MIGRATIONS);
    assert.equal(userVersion(v2), 2);
    assert.deepEqual(
      v2.prepare("SELECT x, y FROM t ORDER BY x").all().map((row) => ({ ...row })),
      [{ x: 1, y: "v2" }, { x: 7, y: null }],
    );
    v2.close();

    // opening again runs nothing: the INSERT of migration 2 is not repeated
    const again = openDatabase(path, MIGRATIONS);
    assert.equal(userVersion(again), 2);
    assert.equal(
      Number((again.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n),
      2,
    );
    assert.equal(
      (again.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
      "wal",
    );
    again.close();
  });
});

Deno.test("openDatabase refuses a database written by a newer version with RangeError", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/newer.db`;
    openDatabase(path, MIGRATIONS).close();
    assert.throws(() => openDatabase(path, MIGRATIONS.slice(0, 1)), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /schema version 2 is newer than this tincan \(1\)/);
      return true;
    });
    // the database is untouched and still opens with the full list
    const db = openDatabase(path, MIGRATIONS);
    assert.equal(userVersion(db), 2);
    db.close();
  });
});

Deno.test("openDatabase refuses migrations numbered out of order", () => {
  const bad: Migration[] = [{ version: 1, sql: "" }, { version: 3, sql: "" }];
  assert.throws(() => openDatabase(":memory:", bad), /migration 2 has version 3/);
});

Deno.test("a failing migration is rolled back with its version bump", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/failing.db`;
    const failing: Migration[] = [
      MIGRATIONS[0]!,
      { version: 2, sql: "CREATE TABLE u (a INTEGER); INSERT INTO nowhere VALUES (1);" },
    ];
    assert.throws(() => openDatabase(path, failing), /nowhere/);
    const db = openDatabase(path, MIGRATIONS.slice(0, 1));
    assert.equal(userVersion(db), 1);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all().map((row) => row.name);
    assert.deepEqual(tables, ["t"], "table u of the failed migration is not left behind");
    db.close();
  });
});

Deno.test("transaction commits the work and returns its result", () => {
  const db = openDatabase(":memory:", MIGRATIONS);
  try {
    const result = transaction(db, () => {
      db.prepare("INSERT INTO t (x) VALUES (2)").run();
      return "done";
    });
    assert.equal(result, "done");
    assert.equal(Number((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n), 2);
  } finally {
    db.close();
  }
});

Deno.test("transaction rolls back when the work throws and rethrows the error", () => {
  const db = openDatabase(":memory:", MIGRATIONS);
  try {
    const failure = new TypeError("stop");
    assert.throws(
      () =>
        transaction(db, () => {
          db.prepare("INSERT INTO t (x) VALUES (2)").run();
          db.prepare("INSERT INTO t (x) VALUES (3)").run();
          throw failure;
        }),
      (err: unknown) => err === failure,
    );
    assert.equal(Number((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n), 1);
    // the connection is usable again (no transaction left open)
    transaction(db, () => db.prepare("INSERT INTO t (x) VALUES (4)").run());
    assert.equal(Number((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n), 2);
  } finally {
    db.close();
  }
});

Deno.test("transaction keeps the real error of a full disk (SQLITE_FULL), not a failed rollback", () => {
  const db = openDatabase(":memory:", MIGRATIONS);
  try {
    capPages(db, 1);
    assert.throws(
      () =>
        transaction(db, () => {
          for (let i = 0; i < 100; i++) {
            db.prepare("INSERT INTO t (x, y) VALUES (?, ?)").run(i, "x".repeat(4000));
          }
        }),
      (err: unknown) => {
        assert.match((err as Error).message, /database or disk is full/);
        assert.equal(storageFailure(err), "full");
        return true;
      },
    );
    assert.equal(db.isTransaction, false);
    // nothing of it was kept, and the connection works again once there is room
    assert.equal(Number((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n), 1);
    db.exec("PRAGMA max_page_count = 1000000");
    transaction(db, () => db.prepare("INSERT INTO t (x) VALUES (5)").run());
    assert.equal(Number((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n), 2);
  } finally {
    db.close();
  }
});

Deno.test("the rendezvous schema creates its tables", () => {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  try {
    assert.equal(userVersion(db), RENDEZVOUS_MIGRATIONS.length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all().map((row) => row.name);
    assert.deepEqual(tables, [
      "accounts",
      "admin_audit",
      "deleted_usernames",
      "forward_queue",
      "identity_prekeys",
      "kem_one_time_prekeys",
      "key_log",
      "mailbox",
      "mailbox_remote_usage",
      "mailbox_sender_usage",
      "mailbox_usage",
      "one_time_prekeys",
      "remote_prekeys_seen",
      "retired_keys",
      "settings",
      "sqlite_sequence",
    ]);
  } finally {
    db.close();
  }
});

Deno.test("selectOne and selectAll return the rows of a prepared SELECT, typed by the caller", () => {
  const db = openDatabase(":memory:", [
    { version: 1, sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB)" },
  ]);
  try {
    const insert = db.prepare("INSERT INTO t (id, name, data) VALUES (?, ?, ?)");
    insert.run(1, "one", Uint8Array.of(1));
    insert.run(2, "two", null);
    type Row = { id: number; name: string; data: Uint8Array | null };
    const one = selectOne<Row>(db, "SELECT id, name, data FROM t WHERE id = ?", 1);
    assert.deepEqual({ ...one, data: [...one!.data!] }, { id: 1, name: "one", data: [1] });
    assert.equal(selectOne<Row>(db, "SELECT * FROM t WHERE id = ?", 3), undefined);
    const all = selectAll<{ name: string }>(db, "SELECT name FROM t WHERE id >= ? ORDER BY id", 1);
    assert.deepEqual(all.map((r) => r.name), ["one", "two"]);
    assert.deepEqual(selectAll(db, "SELECT * FROM t WHERE id > ?", 5), []);
    assert.equal(
      prepared(db, "SELECT 1"),
      prepared(db, "SELECT 1"),
      "a statement is prepared once per database",
    );
  } finally {
    db.close();
  }
});
