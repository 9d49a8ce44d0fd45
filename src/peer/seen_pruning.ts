/**
 * Keeps the seen table (duplicate detection, per sender and id) bounded: ids older than
 * SEEN_MAX_AGE_MS are forgotten when the peer starts and then once a day while it runs. An
 * envelope older than that which comes back is still refused by the ratchet (its message key is
 * gone, and skipped keys expire sooner), so forgetting its id does not let a replay through.
 */
import type { Logger } from "../log.ts";
import type { HistoryStore } from "./store/history.ts";

/** How often seen ids are pruned while the peer runs. */
export const SEEN_PRUNE_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * Prunes `history`'s seen ids now and then every `intervalMs`; returns the function that stops
 * it. A prune that fails (the database is closing) is logged and tried again next time.
 */
export function pruneSeenPeriodically(
  history: Pick<HistoryStore, "pruneSeen">,
  now: () => number,
  log: Logger,
  intervalMs = SEEN_PRUNE_INTERVAL_MS,
): () => void {
  const prune = () => {
    try {
      history.pruneSeen(now());
    } catch (err: unknown) {
      log.warn(`pruning seen message ids failed: ${err instanceof Error ? err.message : err}`);
    }
  };
  prune();
  const timer = setInterval(prune, intervalMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
