/**
 * Checkpoints of a WAL database when it falls idle, not inside the commit that crossed SQLite's
 * automatic threshold. SQLite's automatic checkpoint (every 1,000 WAL pages by default) runs in
 * the COMMIT that crosses it, on the caller's thread, with two fsyncs (synchronous = NORMAL):
 * measured in the pipelined chat bench (bench/messages_profile.ts, 2 × 3,000 messages), the
 * sender's thread spent 1.05-1.09 s in COMMIT, 0.81-0.83 s of it in the 105-124 commits that
 * took over 1 ms (the checkpoints), against 0.46-0.56 s in all without automatic checkpoints.
 * Here a checkpoint runs once no transaction committed for IDLE_CHECKPOINT_MS, and SQLite's own
 * only past FALLBACK_CHECKPOINT_PAGES (a long, sustained burst); the WAL file is cut back to
 * WAL_SIZE_LIMIT_BYTES when it restarts. A commit is as durable as before: it is in the WAL,
 * which survives the process; the WAL is synced at each checkpoint, as before — only less often
 * in a burst (power loss can take back the commits since the last sync, as it could before).
 */
import type { DatabaseSync } from "node:sqlite";
import { afterCommit } from "./database.ts";

/** Quiet time after the last commit before the WAL is checkpointed. */
export const IDLE_CHECKPOINT_MS = 100;
/** WAL pages past which SQLite checkpoints in the commit itself (its default is 1,000). */
export const FALLBACK_CHECKPOINT_PAGES = 10_000;
/** What the WAL file is truncated to when it restarts after a checkpoint (SQLite keeps it all). */
export const WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

/** Runs `run` once `ms` have passed (without keeping the process alive); returns its cancel. */
export type Schedule = (run: () => void, ms: number) => () => void;

/** Stops the idle checkpoints of one database (before it closes). */
export type StopCheckpoints = () => void;

/**
 * Checkpoints `db` (PASSIVE: never waits for readers or writers) once it has been idle for
 * IDLE_CHECKPOINT_MS after a transaction; returns what stops it. `schedule` is for tests.
 */
export function checkpointWhenIdle(
  db: DatabaseSync,
  schedule: Schedule = unrefTimeout,
): StopCheckpoints {
  db.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
  db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  let cancel: (() => void) | undefined;
  let committed = false;
  const check = () => {
    if (committed) {
      committed = false;
      cancel = schedule(check, IDLE_CHECKPOINT_MS);
      return;
    }
    cancel = undefined;
    if (db.isOpen && !db.isTransaction) db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  };
  const stopHook = afterCommit(db, () => {
    if (cancel === undefined) cancel = schedule(check, IDLE_CHECKPOINT_MS);
    else committed = true;
  });
  return () => {
    stopHook();
    cancel?.();
    cancel = undefined;
  };
}

/** A timeout that does not keep the process alive. */
function unrefTimeout(run: () => void, ms: number): () => void {
  const timer = setTimeout(run, ms);
  Deno.unrefTimer(Number(timer));
  return () => clearTimeout(timer);
}
