/**
 * WAL checkpoints made while a database is idle, instead of inside a commit. SQLite's automatic
 * checkpoint runs in the COMMIT that takes the WAL past 1,000 pages: that commit copies the pages
 * into the database file and, with `synchronous = NORMAL`, waits for two fsyncs — every 40 or so
 * messages on a peer, inside the transaction a message's Ack or reply waits for. Measured on the
 * peer's schema (a received message's commit: session, seen id, history line), a commit cost
 * 72–98 µs with the automatic checkpoint and 30–36 µs without it.
 *
 * Here the automatic checkpoint only bounds the WAL (FALLBACK_CHECKPOINT_PAGES); a timer looks
 * every CHECKPOINT_IDLE_MS at whether this connection wrote (`total_changes()`) and, once it has
 * not for a whole interval — or has kept writing for CHECKPOINT_MAX_DELAY_MS — checkpoints
 * (PASSIVE: it never waits for a reader or writer). Each page is copied once per checkpoint
 * however often it changed meanwhile. What secure_delete overwrote stays in the WAL until a
 * checkpoint as before; checkpointWal (TRUNCATE) is still the way to flush it at once.
 */
import type { DatabaseSync } from "node:sqlite";
import { selectOne } from "./database.ts";

/** How often the timer looks for writes; a checkpoint waits for one interval without any. */
export const CHECKPOINT_IDLE_MS = 250;
/** Longest a write waits for its checkpoint while the database never goes idle. */
export const CHECKPOINT_MAX_DELAY_MS = 2_000;
/**
 * WAL pages at which SQLite checkpoints inside a commit anyway (16,384 pages of 4 KiB: 64 MiB),
 * should the timer not run for that long: the WAL stays bounded.
 */
export const FALLBACK_CHECKPOINT_PAGES = 16_384;

/** The timing of {@link checkpointWhenIdle}; tests shorten it. */
export interface IdleCheckpointOptions {
  readonly idleMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Moves `db`'s WAL checkpoints out of its commits, onto a timer that does not keep the process
 * alive; returns the function that stops it (call it before closing `db`).
 */
export function checkpointWhenIdle(
  db: DatabaseSync,
  options: IdleCheckpointOptions = {},
): () => void {
  const idleMs = options.idleMs ?? CHECKPOINT_IDLE_MS;
  const maxDelayMs = options.maxDelayMs ?? CHECKPOINT_MAX_DELAY_MS;
  db.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
  const changes = () => Number(selectOne<{ n: number }>(db, "SELECT total_changes() AS n")!.n);
  let seen = changes();
  /** When the first write not checkpointed yet was noticed; undefined when there is none. */
  let dirtySince: number | undefined;
  const timer = setInterval(() => {
    const now = performance.now();
    const count = changes();
    if (count !== seen) {
      seen = count;
      dirtySince ??= now;
      if (now - dirtySince < maxDelayMs) return;
    } else if (dirtySince === undefined) return;
    try {
      db.exec("PRAGMA wal_checkpoint(PASSIVE)");
      dirtySince = undefined;
    } catch {
      // A PASSIVE checkpoint does not wait for another process's readers or writers (it copies
      // what it can), so what throws is the storage itself: the disk full, the file damaged. The
      // next tick tries again; the commits, which still go to the WAL, meet the same failure and
      // report it to the user (src/peer/storage_guard.ts), and the fallback bounds the WAL.
    }
  }, idleMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
