/**
 * Compare-and-set for rows that hold key material which must never be used twice (a ratchet
 * session, a sender-key chain): each such row carries a version, a save names the version its
 * new state was derived from, and the write happens only while the row still has it. Two
 * processes on one profile that read the same state and both moved it on (each about to use the
 * same message key) cannot both store the result: the second save fails with StaleStateError,
 * and its caller throws away what it derived (the envelope is never sent).
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { prepared } from "../../store/database.ts";

/**
 * A save whose state was derived from a version the stored row no longer has: another process
 * (or task) moved it on first. Callers retry once from the stored state, or report it.
 */
export class StaleStateError extends Error {
  override name = "StaleStateError";
}

/**
 * Runs `sql` (an INSERT or UPDATE guarded by the expected version) with `params`, and throws
 * when it changed no row.
 * @throws StaleStateError, with `what` in its message, when no row was written.
 */
export function writeIfCurrent(
  db: DatabaseSync,
  what: string,
  sql: string,
  ...params: SQLInputValue[]
): void {
  const { changes } = prepared(db, sql).run(...params);
  if (Number(changes) === 0) {
    throw new StaleStateError(`${what} was changed by another process since it was read`);
  }
}

/**
 * Runs `attempt`, and once more when it fails with StaleStateError (it starts again from the
 * stored state, which another process moved on).
 * @throws StaleStateError when the second attempt is stale too; whatever `attempt` throws.
 */
export async function retryIfStale<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err: unknown) {
    if (!(err instanceof StaleStateError)) throw err;
    return await attempt();
  }
}
