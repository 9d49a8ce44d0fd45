/**
 * A clearable timeout signal. `AbortSignal.timeout` cannot be cleared: its timer fires long after
 * the read it guarded has finished, and each firing builds a DOMException and dispatches an abort
 * event — one per frame read, on a rendezvous thousands a minute (≈ 0.2 ms of its CPU per client
 * in the scale bench's profile).
 */

/** A signal that aborts with a TimeoutError after its time, unless cleared first. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer; the signal then never aborts. */
  clear(): void;
}

/** A Deadline `ms` from now. */
export function deadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`Signal timed out after ${ms} ms`, "TimeoutError")),
    ms,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
