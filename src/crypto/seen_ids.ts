/**
 * A bounded memory of recently received message ids, to drop duplicate and replayed envelopes
 * cheaply before any decryption. It is a first filter only: the ratchet itself refuses to decrypt
 * a message twice, even after this memory has forgotten the id.
 */

/** Default number of ids remembered. */
export const DEFAULT_SEEN_IDS = 10_000;
/** Default time an id is remembered: 30 days, like skipped ratchet keys. */
export const DEFAULT_SEEN_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Message ids seen within `maxAgeMs`, at most `maxSize` of them (the oldest forgotten first).
 * Pure: the caller passes the time.
 */
export class SeenIds {
  readonly #seen = new Map<string, number>();

  /** @throws RangeError when a bound is not a positive number. */
  constructor(
    readonly maxSize: number = DEFAULT_SEEN_IDS,
    readonly maxAgeMs: number = DEFAULT_SEEN_MAX_AGE_MS,
  ) {
    if (!Number.isInteger(maxSize) || maxSize <= 0) {
      throw new RangeError(`SeenIds needs a positive integer size, not ${maxSize}`);
    }
    if (!(maxAgeMs > 0)) throw new RangeError(`SeenIds needs a positive age, not ${maxAgeMs}`);
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /** Whether `id` was recorded within the age limit at `now`. */
  has(id: Uint8Array, now: number): boolean {
    const at = this.#seen.get(hex(id));
    return at !== undefined && now - at < this.maxAgeMs;
  }

  /**
   * Records `id` at `now`; false when it was already seen (a duplicate: drop the envelope).
   * Record an id only once its message has been accepted, so a forged copy cannot block it.
   */
  add(id: Uint8Array, now: number): boolean {
    this.#expire(now);
    const key = hex(id);
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, now);
    if (this.#seen.size > this.maxSize) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    return true;
  }

  /** Forgets ids older than the age limit (insertion order is time order for a monotonic now). */
  #expire(now: number): void {
    for (const [key, at] of this.#seen) {
      if (now - at < this.maxAgeMs) break;
      this.#seen.delete(key);
    }
  }
}
