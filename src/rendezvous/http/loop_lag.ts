/**
 * Event-loop lag: a timer due every INTERVAL_MS notes how late it fired. The gauge reads the
 * latest lateness.
 */

const INTERVAL_MS = 500;

/** Measures event-loop lag until stopped. */
export class LoopLagMonitor {
  #lagMs = 0;
  #expected: number;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor() {
    this.#expected = performance.now() + INTERVAL_MS;
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#lagMs = Math.max(0, now - this.#expected);
      this.#expected = now + INTERVAL_MS;
    }, INTERVAL_MS);
  }

  /** How late the last tick fired, in ms. */
  get lagMs(): number {
    return this.#lagMs;
  }

  /** Stops the timer. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
