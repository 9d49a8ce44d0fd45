/**
 * "Mail waiting" signals: the mailbox protocol raises one when it commits mail for a user, and
 * that user's presence streams push it, so an online recipient fetches at once instead of at its
 * next poll.
 */

/** Listeners by username; a listener only ever hears of its own user's mail. */
export class MailSignal {
  readonly #listeners = new Map<string, Set<() => void>>();

  /** Calls `listener` whenever mail for `username` is committed; returns the unsubscribe. */
  subscribe(username: string, listener: () => void): () => void {
    let set = this.#listeners.get(username);
    if (set === undefined) this.#listeners.set(username, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(username);
    };
  }

  /** Mail for `username` was committed. */
  raise(username: string): void {
    this.#listeners.get(username)?.forEach((listener) => listener());
  }
}
