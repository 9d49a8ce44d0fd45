/**
 * Counting failures under keys with exponential backoff: the free-failures-th failure
 * (FREE_FAILURES unless given) starts a wait of BASE_DELAY_MS and each further one doubles it
 * (1 s, 2 s, 4 s … capped at MAX_DELAY_MS), so the attempt after the free failures is refused.
 * Attempts still in flight count against the free failures, so parallel attempts cannot outrun
 * the count. Which keys an attempt counts under is account_throttle.ts's policy. Pure: the caller
 * passes the time.
 */

/** Failures allowed before any wait. */
export const FREE_FAILURES = 5;
/** The first wait after the free failures. */
export const BASE_DELAY_MS = 1000;
/** The longest wait. */
export const MAX_DELAY_MS = 15 * 60 * 1000;
/** A key unused this long is forgotten. */
export const FORGET_AFTER_MS = 60 * 60 * 1000;
/** Keys kept at most; the least recently failed are dropped first. */
export const MAX_TRACKED_KEYS = 100_000;

interface Failures {
  count: number;
  blockedUntil: number;
  lastFailure: number;
}

/** Tracks failures under string keys such as `user:alice` and `addr:192.0.2.7`. */
export class LoginThrottle {
  readonly #failures = new Map<string, Failures>();
  /** Attempts begun and not yet finished, per key. */
  readonly #inFlight = new Map<string, number>();

  /** `freeFailures`: the failures allowed under one key before any wait. */
  constructor(readonly freeFailures: number = FREE_FAILURES) {}

  /**
   * Begins a login attempt under `keys`. Returns the time until which the attempt is refused, or
   * undefined when it may go ahead; then the caller records its outcome and calls `finish(keys)`.
   * An attempt is refused while any key is blocked, or when a key's failures plus the attempts in
   * flight would reach the free failures (after that, one attempt at a time): otherwise a client
   * starting many attempts in parallel would have them all answered before the first failure
   * counts.
   */
  begin(keys: readonly string[], now: number): number | undefined {
    const blocked = this.blockedUntil(keys, now);
    if (blocked !== undefined) return blocked;
    for (const key of keys) {
      const pending = this.#inFlight.get(key) ?? 0;
      const failed = this.#failures.get(key)?.count ?? 0;
      if (pending > 0 && failed + pending >= this.freeFailures) return now + BASE_DELAY_MS;
    }
    for (const key of keys) this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
    return undefined;
  }

  /** Ends an attempt `begin` let go ahead, whatever its outcome. */
  finish(keys: readonly string[]): void {
    for (const key of keys) {
      const pending = (this.#inFlight.get(key) ?? 0) - 1;
      if (pending > 0) this.#inFlight.set(key, pending);
      else this.#inFlight.delete(key);
    }
  }

  /** The time until which any of `keys` is blocked, or undefined when none is. */
  blockedUntil(keys: readonly string[], now: number): number | undefined {
    let until: number | undefined;
    for (const key of keys) {
      const entry = this.#failures.get(key);
      if (entry === undefined) continue;
      if (now - entry.lastFailure > FORGET_AFTER_MS) {
        this.#failures.delete(key);
        continue;
      }
      if (entry.blockedUntil > now) until = Math.max(until ?? 0, entry.blockedUntil);
    }
    return until;
  }

  /** Records one failed login under each of `keys`. */
  recordFailure(keys: readonly string[], now: number): void {
    for (const key of keys) {
      const entry = this.#failures.get(key) ?? { count: 0, blockedUntil: 0, lastFailure: now };
      this.#failures.delete(key); // re-insert: the map's order is the eviction order
      entry.count++;
      entry.lastFailure = now;
      if (entry.count >= this.freeFailures) {
        const delay = Math.min(
          BASE_DELAY_MS * 2 ** (entry.count - this.freeFailures),
          MAX_DELAY_MS,
        );
        entry.blockedUntil = now + delay;
      }
      this.#failures.set(key, entry);
    }
    while (this.#failures.size > MAX_TRACKED_KEYS) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  /** The failures counted under `key` and not yet forgotten at `now`. */
  failures(key: string, now: number): number {
    const entry = this.#failures.get(key);
    return entry === undefined || now - entry.lastFailure > FORGET_AFTER_MS ? 0 : entry.count;
  }

  /** Forgets the failures under `keys` (after a successful login). */
  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.#failures.delete(key);
  }

  // Operator hooks (the dashboard lists and clears throttles).
  /** The keys blocked at `now`, at most `limit`, with their failures and when they are free. */
  blocked(now: number, limit: number): { key: string; failures: number; until: number }[] {
    const out: { key: string; failures: number; until: number }[] = [];
    for (const [key, entry] of this.#failures) {
      if (out.length >= limit) break;
      if (entry.blockedUntil > now) {
        out.push({ key, failures: entry.count, until: entry.blockedUntil });
      }
    }
    return out;
  }

  /** Forgets the failures under `key`; returns whether there were any. */
  clear(key: string): boolean {
    return this.#failures.delete(key);
  }

  /** How many keys are tracked (for tests and metrics). */
  get size(): number {
    return this.#failures.size;
  }
}
