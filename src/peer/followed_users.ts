/**
 * Whom a peer follows at its rendezvous, and for what: each source (its contacts, the users it
 * was asked to follow, each service such as rooms) names the users it needs; a user is followed
 * while any source names them, and unfollowed once none does (a room left, its members no
 * contact of ours). At most MAX_FOLLOWED users in all. Pure: the caller sends FOLLOW and UNFOLLOW.
 */
import { MAX_FOLLOWED } from "../protocol/limits.ts";

/** The source of the contacts (users whose key we pinned). */
export const CONTACTS_SOURCE = "contacts";
/** The source of the users given to Peer.follow (whom we write to, whom a route asks about …). */
export const ASKED_SOURCE = "asked";

/** What a change to the followed set means at the rendezvous. */
export interface FollowChange {
  /** Now followed, and not before. */
  readonly added: readonly string[];
  /** No longer followed by any source. */
  readonly removed: readonly string[];
}

/** The followed users, by source. */
export class FollowedUsers {
  readonly #bySource = new Map<string, Set<string>>();
  /** How many sources name each followed user. */
  readonly #count = new Map<string, number>();

  /** `self` is never followed; at most `max` users in all (MAX_FOLLOWED unless given). */
  constructor(private readonly self: string, private readonly max: number = MAX_FOLLOWED) {}

  /**
   * Adds `names` to what `source` follows; returns the users followed by nobody before. Names
   * `source` follows already change nothing, at no cost proportional to all it follows (every
   * message we send follows its recipient).
   * @throws RangeError when that would follow more than `max` users (nothing changes then).
   */
  add(source: string, names: readonly string[]): string[] {
    const had = this.#bySource.get(source) ?? new Set<string>();
    if (names.every((name) => had.has(name) || name === this.self)) return [];
    return [...this.set(source, [...had, ...names]).added];
  }

  /**
   * Makes what `source` follows exactly `names`; returns who is followed now and not before, and
   * who no source follows any more.
   * @throws RangeError when that would follow more than `max` users (nothing changes then).
   */
  set(source: string, names: readonly string[]): FollowChange {
    const had = this.#bySource.get(source) ?? new Set<string>();
    const wanted = new Set(names.filter((name) => name !== this.self));
    const added = [...wanted].filter((name) => !had.has(name) && !this.#count.has(name));
    const dropped = [...had].filter((name) => !wanted.has(name));
    const removed = dropped.filter((name) => this.#count.get(name) === 1);
    const total = this.#count.size + added.length - removed.length;
    if (total > this.max) {
      throw new RangeError(
        `Cannot follow ${total} users' presence: at most ${this.max} (contacts and room members)`,
      );
    }
    for (const name of wanted) {
      if (!had.has(name)) this.#count.set(name, (this.#count.get(name) ?? 0) + 1);
    }
    for (const name of dropped) {
      const left = this.#count.get(name)! - 1;
      if (left === 0) this.#count.delete(name);
      else this.#count.set(name, left);
    }
    if (wanted.size === 0) this.#bySource.delete(source);
    else this.#bySource.set(source, wanted);
    return { added, removed };
  }

  /** Every followed user, sorted. */
  all(): string[] {
    return [...this.#count.keys()].sort();
  }

  /** Whether any source follows `name`. */
  has(name: string): boolean {
    return this.#count.has(name);
  }
}
