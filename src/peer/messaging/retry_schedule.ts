/**
 * When to try a recipient with undelivered messages again: after a growing, jittered pause
 * (about RETRY_MIN_MS … RETRY_MAX_MS, backoff.ts), one pending retry per recipient.
 */
import { backoffDelay } from "../../net/backoff.ts";

/** The pause before the first retry of a recipient (before jitter). */
export const RETRY_MIN_MS = 1000;
/** The longest pause between attempts to reach a recipient with undelivered messages. */
export const RETRY_MAX_MS = 60_000;

/** The pending retry of each recipient whose last attempt failed: its timer and attempt. */
export class RetrySchedule {
  readonly #retries = new Map<string, { timer: ReturnType<typeof setTimeout>; attempt: number }>();
  #closed = false;

  /** How many attempts at `to` failed in a row (0 when none is pending). */
  attempts(to: string): number {
    return this.#retries.get(to)?.attempt ?? 0;
  }

  /**
   * Runs `retry` after the next pause for `to` (at least `notBeforeMs`), replacing any pending
   * one; nothing once closed.
   */
  later(to: string, notBeforeMs: number, retry: () => void): void {
    if (this.#closed) return;
    const attempt = this.attempts(to) + 1;
    clearTimeout(this.#retries.get(to)?.timer);
    const delay = Math.max(
      notBeforeMs,
      backoffDelay(attempt - 1, { minMs: RETRY_MIN_MS, maxMs: RETRY_MAX_MS }),
    );
    this.#retries.set(to, { timer: setTimeout(retry, delay), attempt });
  }

  /** `to` was reached: no retry, and the next failure starts from the shortest pause. */
  clear(to: string): void {
    clearTimeout(this.#retries.get(to)?.timer);
    this.#retries.delete(to);
  }

  /** Cancels every retry, for good (the peer is stopping). */
  close(): void {
    this.#closed = true;
    for (const { timer } of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
  }
}
