/**
 * Who follows whom: the index behind presence by interest. A watcher (a peer's presence stream
 * here; later a federated node's subscription) follows a bounded set of usernames; a change of
 * a user is delivered to watchersOf(user) only, so a login costs O(its followers), not O(online).
 * Pure: no I/O, no clock.
 */
import { MAX_FOLLOWED } from "../protocol/limits.ts";
import type { PresenceChange } from "./logged_in_users.ts";

/**
 * Who receives the changes of the users it follows: a peer's presence stream, or (federation) a
 * remote node's subscription. `deliver` must not block: it queues.
 */
export interface PresenceWatcher {
  deliver(change: PresenceChange): void;
}

/** The index of followed users, by watcher and by followed username. */
export class PresenceInterest<W> {
  readonly #byWatcher = new Map<W, Set<string>>();
  readonly #byUser = new Map<string, Set<W>>();

  /** `maxPerWatcher` bounds the users one watcher follows (MAX_FOLLOWED unless given). */
  constructor(private readonly maxPerWatcher: number = MAX_FOLLOWED) {}

  /**
   * Adds `names` to what `watcher` follows; returns the names it did not follow before.
   * @throws RangeError when that would make it follow more than maxPerWatcher users (nothing is
   * added then).
   */
  follow(watcher: W, names: Iterable<string>): string[] {
    const followed = this.#byWatcher.get(watcher) ?? new Set<string>();
    const added = [...new Set(names)].filter((name) => !followed.has(name));
    if (followed.size + added.length > this.maxPerWatcher) {
      throw new RangeError(
        `Cannot follow ${followed.size + added.length} users: at most ${this.maxPerWatcher}`,
      );
    }
    this.#byWatcher.set(watcher, followed);
    for (const name of added) {
      followed.add(name);
      let watchers = this.#byUser.get(name);
      if (watchers === undefined) this.#byUser.set(name, watchers = new Set());
      watchers.add(watcher);
    }
    return added;
  }

  /** Removes `names` from what `watcher` follows. */
  unfollow(watcher: W, names: Iterable<string>): void {
    const followed = this.#byWatcher.get(watcher);
    if (followed === undefined) return;
    for (const name of names) {
      if (!followed.delete(name)) continue;
      const watchers = this.#byUser.get(name);
      watchers?.delete(watcher);
      if (watchers?.size === 0) this.#byUser.delete(name);
    }
  }

  /** Forgets `watcher` and everything it followed (its stream ended). */
  forget(watcher: W): void {
    const followed = this.#byWatcher.get(watcher);
    if (followed === undefined) return;
    this.unfollow(watcher, [...followed]);
    this.#byWatcher.delete(watcher);
  }

  /** The watchers following `name` (empty when none). */
  watchersOf(name: string): ReadonlySet<W> {
    return this.#byUser.get(name) ?? NONE;
  }

  /** The usernames `watcher` follows (empty when none). */
  following(watcher: W): ReadonlySet<string> {
    return this.#byWatcher.get(watcher) ?? NONE;
  }

  /** Number of watchers following anyone. */
  get watchers(): number {
    return this.#byWatcher.size;
  }
}

const NONE: ReadonlySet<never> = new Set<never>();
