/**
 * Liveness of many long-lived streams with one timer for all of them, instead of a timeout per
 * read: each watched key's "last heard" time, kept in a Map in the order heard (a key heard again
 * moves to the end), and a sweep every `sweepMs` that takes, from the front, those silent for
 * `silenceMs` or longer and calls their `onSilent`. A silent key is thus found between silenceMs
 * and silenceMs + sweepMs after it was last heard; a sweep costs O(keys found silent), a heard
 * key two Map operations. The timer runs only while some key is watched.
 */

/** How a SilenceSweep works. */
export interface SilenceSweepOptions {
  /** A key not heard for this long is silent. */
  readonly silenceMs: number;
  /** The pause between two sweeps. */
  readonly sweepMs: number;
  /** A monotonic clock in milliseconds; performance.now unless given. */
  readonly now?: () => number;
}

interface Watched {
  at: number;
  readonly onSilent: (silentMs: number) => void;
}

/** Finds the watched keys that fell silent, with one timer for all of them. */
export class SilenceSweep<K> {
  readonly #watched = new Map<K, Watched>();
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: SilenceSweepOptions) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** Watches `key`, heard now; `onSilent` is called once if it falls silent (then forgotten). */
  watch(key: K, onSilent: (silentMs: number) => void): void {
    this.#watched.delete(key);
    this.#watched.set(key, { at: this.#now(), onSilent });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.sweep(), this.options.sweepMs);
      Deno.unrefTimer(this.#timer);
    }
  }

  /** `key` was heard from now (a key not watched is ignored). */
  heard(key: K): void {
    const watched = this.#watched.get(key);
    if (watched === undefined) return;
    this.#watched.delete(key);
    watched.at = this.#now();
    this.#watched.set(key, watched);
  }

  /** Stops watching `key`. */
  forget(key: K): void {
    this.#watched.delete(key);
    if (this.#watched.size === 0) this.#stopTimer();
  }

  /** Keys watched now. */
  get size(): number {
    return this.#watched.size;
  }

  /** One sweep now (the timer runs it every sweepMs): calls and forgets the silent keys. */
  sweep(): void {
    const now = this.#now();
    const silent: [K, Watched][] = [];
    for (const entry of this.#watched) {
      if (now - entry[1].at < this.options.silenceMs) break; // the rest were heard later
      silent.push(entry);
    }
    for (const [key] of silent) this.#watched.delete(key);
    if (this.#watched.size === 0) this.#stopTimer();
    for (const [, watched] of silent) watched.onSilent(now - watched.at);
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
