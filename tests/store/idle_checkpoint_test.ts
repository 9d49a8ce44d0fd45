import assert from "node:assert/strict";
import { join } from "node:path";
import { afterCommit, openDatabase, selectOne, transaction } from "../../src/store/database.ts";
import {
  checkpointWhenIdle,
  FALLBACK_CHECKPOINT_PAGES,
  IDLE_CHECKPOINT_MS,
} from "../../src/store/idle_checkpoint.ts";

/** WAL frames written and frames already copied into the database (a PASSIVE checkpoint's). */
function walFrames(db: ReturnType<typeof openDatabase>): { log: number; backfilled: number } {
  // A PASSIVE checkpoint of nothing new reports what the last one left.
  const row = selectOne<{ log: number; checkpointed: number }>(
    db,
    "PRAGMA wal_checkpoint(PASSIVE)",
  )!;
  return { log: Number(row.log), backfilled: Number(row.checkpointed) };
}

/** Timers run by hand: `fire` runs the pending one, as its delay passing would. */
function manualTimers() {
  let pending: { run: () => void; ms: number } | undefined;
  return {
    schedule: (run: () => void, ms: number) => {
      const due = { run, ms };
      pending = due;
      return () => {
        if (pending === due) pending = undefined;
      };
    },
    get pending() {
      return pending;
    },
    fire: () => {
      const due = pending;
      pending = undefined;
      due?.run();
    },
  };
}

Deno.test("idle checkpoints: the WAL is checkpointed once no transaction committed for a while, not in the commits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-idle-checkpoint-" });
  const db = openDatabase(join(dir, "t.db"), [
    { version: 1, sql: "CREATE TABLE t (x INTEGER NOT NULL) STRICT;" },
  ]);
  const timers = manualTimers();
  const stop = checkpointWhenIdle(db, timers.schedule);
  try {
    assert.equal(
      Number(
        selectOne<{ wal_autocheckpoint: number }>(db, "PRAGMA wal_autocheckpoint")!
          .wal_autocheckpoint,
      ),
      FALLBACK_CHECKPOINT_PAGES,
    );
    const checkpoints: string[] = [];
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      if (sql.includes("wal_checkpoint")) checkpoints.push(sql);
      return exec(sql);
    };
    transaction(db, () => db.exec("INSERT INTO t VALUES (1)"));
    assert.equal(timers.pending?.ms, IDLE_CHECKPOINT_MS, "the first commit starts the wait");
    transaction(db, () => db.exec("INSERT INTO t VALUES (2)"));
    timers.fire(); // a commit came within the wait: wait again
    assert.equal(timers.pending?.ms, IDLE_CHECKPOINT_MS);
    assert.deepEqual(checkpoints, [], "no checkpoint while commits keep coming");
    timers.fire(); // idle: checkpointed
    assert.equal(timers.pending, undefined);
    assert.deepEqual(checkpoints, ["PRAGMA wal_checkpoint(PASSIVE)"]);
    const after = walFrames(db);
    assert.equal(after.backfilled, after.log, "every WAL frame copied into the database");
    transaction(db, () => db.exec("INSERT INTO t VALUES (3)"));
    assert.ok(timers.pending, "the next commit starts another wait");
  } finally {
    stop();
    assert.equal(timers.pending, undefined, "stopping clears the wait");
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("afterCommit: runs after each committed transaction, not after a rolled back one; one hook per database", () => {
  const db = openDatabase(":memory:", [{ version: 1, sql: "CREATE TABLE t (x INTEGER) STRICT;" }]);
  try {
    let commits = 0;
    const stop = afterCommit(db, () => commits++);
    transaction(db, () => db.exec("INSERT INTO t VALUES (1)"));
    assert.throws(() =>
      transaction(db, () => {
        db.exec("INSERT INTO t VALUES (2)");
        throw new RangeError("rolled back");
      }), RangeError);
    assert.equal(commits, 1);
    assert.throws(() => afterCommit(db, () => {}), TypeError);
    stop();
    transaction(db, () => db.exec("INSERT INTO t VALUES (3)"));
    assert.equal(commits, 1);
  } finally {
    db.close();
  }
});
