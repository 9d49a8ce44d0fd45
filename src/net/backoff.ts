/**
 * Retry delays: exponential backoff with jitter. Peers that lose a restarted rendezvous (or a
 * recipient) at the same moment must not all retry in lockstep, so each delay is drawn between
 * half and all of the exponential step ("equal jitter").
 */

/** The bounds of one backoff schedule. */
export interface BackoffOptions {
  /** The delay of the first retry (attempt 0) before jitter, in ms. */
  readonly minMs: number;
  /** The largest delay, in ms. */
  readonly maxMs: number;
  /** A number in [0, 1); tests inject it. Default Math.random. */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first): min(maxMs, minMs · 2^attempt),
 * less a random part of up to half of it.
 * @throws RangeError for a negative attempt or bounds.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { minMs, maxMs, random = Math.random } = options;
  if (attempt < 0 || minMs < 0 || maxMs < minMs) {
    throw new RangeError(`bad backoff: attempt ${attempt}, ${minMs}–${maxMs} ms`);
  }
  const step = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 52));
  return Math.round(step / 2 + random() * (step / 2));
}
