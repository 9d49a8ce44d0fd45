import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { openDatabase, selectOne } from "../../src/store/database.ts";
import { checkpointWhenIdle, FALLBACK_CHECKPOINT_PAGES } from "../../src/store/idle_checkpoints.ts";

const MIGRATIONS = [{ version: 1, sql: "CREATE TABLE t (b BLOB NOT NULL) STRICT;" }];

/** Whether `marker` is in the database file itself (not only in its WAL). */
async function inDatabaseFile(path: string, marker: Uint8Array): Promise<boolean> {
  const bytes = await Deno.readFile(path);
  outer: for (let i = 0; i + marker.length <= bytes.length; i++) {
    for (let j = 0; j < marker.length; j++) if (bytes[i + j] !== marker[j]) continue outer;
    return true;
  }
  return false;
}

function insert(db: DatabaseSync, bytes: Uint8Array): void {
  db.prepare("INSERT INTO t (b) VALUES (?)").run(bytes);
}

async function withDatabase(work: (db: DatabaseSync, path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "tincan-checkpoint-test-" });
  const db = openDatabase(`${dir}/t.db`, MIGRATIONS);
  try {
    await work(db, `${dir}/t.db`);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const marker = () => crypto.getRandomValues(new Uint8Array(24));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("idle checkpoints: a commit leaves its pages in the WAL; they reach the database file once it is idle", async () => {
  await withDatabase(async (db, path) => {
    const stop = checkpointWhenIdle(db, { idleMs: 20, maxDelayMs: 60_000 });
    try {
      const autocheckpoint = selectOne<{ wal_autocheckpoint: number }>(
        db,
        "PRAGMA wal_autocheckpoint",
      );
      assert.equal(Number(autocheckpoint?.wal_autocheckpoint), FALLBACK_CHECKPOINT_PAGES);
      const written = marker();
      insert(db, written);
      assert.equal(await inDatabaseFile(path, written), false, "not checkpointed in its commit");
      for (let waited = 0; !(await inDatabaseFile(path, written)); waited += 10) {
        assert.ok(waited < 5_000, "checkpointed within 5 s of going idle");
        await sleep(10);
      }
    } finally {
      stop();
    }
  });
});

Deno.test("idle checkpoints: a database that is written all the time is checkpointed within the longest delay", async () => {
  await withDatabase(async (db, path) => {
    const stop = checkpointWhenIdle(db, { idleMs: 20, maxDelayMs: 200 });
    const written = marker();
    insert(db, written);
    // A write every 5 ms: never a whole idle interval without one.
    const writer = setInterval(() => insert(db, marker()), 5);
    try {
      for (let waited = 0; !(await inDatabaseFile(path, written)); waited += 10) {
        assert.ok(waited < 5_000, "checkpointed within 5 s although never idle");
        await sleep(10);
      }
    } finally {
      clearInterval(writer);
      stop();
    }
  });
});

Deno.test("idle checkpoints: once stopped, no checkpoint is made", async () => {
  await withDatabase(async (db, path) => {
    checkpointWhenIdle(db, { idleMs: 10, maxDelayMs: 20 })();
    const written = marker();
    insert(db, written);
    await sleep(100);
    assert.equal(await inDatabaseFile(path, written), false);
  });
});
