/**
 * Mutual exclusion by key: tasks for the same key run one after another, in the order they were
 * queued; tasks for other keys do not wait. A key with nothing queued holds no memory.
 */
export class KeyedMutex<K> {
  /** The tail of each key's queue: settles when the last queued task has. */
  readonly #tails = new Map<K, Promise<void>>();

  /** Runs `task` once every task queued before it for `key` has settled; returns its result. */
  run<T>(key: K, task: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(() => {}, () => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Whether a task for `key` is running or queued. */
  busy(key: K): boolean {
    return this.#tails.has(key);
  }
}
