/**
 * Who is logged in: the one place that decides whether a Noise-authenticated PeerId may act as a
 * user. A login binds a username to the PeerId of the connection it ran on; the binding ends when
 * the last connection to that PeerId closes.
 */

/** How out of date a LIST page may be: the sorted listing is rebuilt at most this often. */
export const LIST_STALE_MS = 1000;

/** A logged-in user: who, on which PeerId, since when. */
export interface LoggedInUser {
  readonly username: string;
  readonly peerId: string;
  readonly since: number;
}

/** A change of who is online, or of an online user's away text. */
export interface PresenceChange {
  readonly username: string;
  readonly peerId: string;
  readonly online: boolean;
  readonly at: number;
  /** The user's away text ("" when not away, and always when offline). */
  readonly away: string;
}

/** One page of everyone online, sorted by username. */
export interface OnlinePage {
  readonly users: readonly { readonly username: string; readonly away: string }[];
  /** The cursor of the next page (the last username of this one); "" on the last page. */
  readonly next: string;
}

/**
 * The rendezvous's table of logged-in users, by PeerId and by username (not to be confused with a
 * peer's Double Ratchet sessions).
 */
export class LoggedInUsers {
  readonly #byPeer = new Map<string, LoggedInUser>();
  readonly #byUser = new Map<string, LoggedInUser>();
  readonly #listeners = new Set<(change: PresenceChange) => void>();
  /** Away texts by username: in memory only, dropped at logout. */
  readonly #away = new Map<string, string>();
  /** The usernames online, sorted, for paging; when it was sorted; whether it is out of date. */
  #sorted: string[] = [];
  #sortedAt = -Infinity;
  #stale = false;

  /**
   * Logs `peerId` in as `username`. A previous login of the same user from another PeerId, or
   * of this PeerId as another user, ends first; a repeated login announces the user again.
   * Returns the PeerId whose login was replaced.
   */
  login(username: string, peerId: string, now: number): string | undefined {
    const sameUser = this.#byUser.get(username);
    if (sameUser?.peerId === peerId) {
      // Logged in again (for example restarted before its old connection timed out): tell the
      // subscribers, whose links to it may be dead.
      this.#emit({ username, peerId, online: true, at: now, away: this.awayOf(username) });
      return undefined;
    }
    if (sameUser) this.#end(sameUser, now);
    const samePeer = this.#byPeer.get(peerId);
    if (samePeer) this.#end(samePeer, now);
    const user = { username, peerId, since: now };
    this.#byPeer.set(peerId, user);
    this.#byUser.set(username, user);
    this.#stale = true;
    this.#emit({ username, peerId, online: true, at: now, away: "" });
    return sameUser?.peerId;
  }

  /** Announces `peerId`'s user as online again (it registered new addresses). */
  reannounce(peerId: string, now: number): void {
    const user = this.#byPeer.get(peerId);
    if (user) this.#announce(user, now);
  }

  /**
   * Sets the away text of `peerId`'s user ("" clears it) and tells its watchers; returns whether
   * `peerId` is logged in. The text is checked by the caller (presence_protocol.ts).
   */
  setAway(peerId: string, text: string, now: number): boolean {
    const user = this.#byPeer.get(peerId);
    if (!user) return false;
    if (text === "") this.#away.delete(user.username);
    else this.#away.set(user.username, text);
    this.#announce(user, now);
    return true;
  }

  /** The away text of `username` ("" when it is not away or not online). */
  awayOf(username: string): string {
    return this.#away.get(username) ?? "";
  }

  /**
   * Up to `limit` users online after `cursor` (a username; "" = from the first), sorted by
   * username, as of at most LIST_STALE_MS before `now`: a login costs nothing here, and the
   * sort (O(N log N)) runs at most once per LIST_STALE_MS however many pages are asked for.
   */
  page(cursor: string, limit: number, now: number): OnlinePage {
    if (this.#stale && now - this.#sortedAt >= LIST_STALE_MS) {
      this.#sorted = [...this.#byUser.keys()].sort();
      this.#sortedAt = now;
      this.#stale = false;
    }
    const sorted = this.#sorted;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) { // the first username after the cursor
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= cursor) lo = mid + 1;
      else hi = mid;
    }
    const names = sorted.slice(lo, lo + limit);
    // A name that left since the sort is skipped (a page may then be short; its cursor holds).
    const users = names.filter((username) => this.#byUser.has(username))
      .map((username) => ({ username, away: this.awayOf(username) }));
    const next = lo + limit < sorted.length ? names[names.length - 1]! : "";
    return { users, next };
  }

  /** Logs `peerId` out, if it is logged in (its connection closed); returns who it was. */
  logout(peerId: string, now: number): LoggedInUser | undefined {
    const user = this.#byPeer.get(peerId);
    if (user) this.#end(user, now);
    return user;
  }

  /** The username `peerId` is logged in as, or undefined: the authorization check. */
  usernameOf(peerId: string): string | undefined {
    return this.#byPeer.get(peerId)?.username;
  }

  /** The login of `username`, or undefined when the user is offline. */
  byUsername(username: string): LoggedInUser | undefined {
    return this.#byUser.get(username);
  }

  /** Everyone online now. */
  online(): LoggedInUser[] {
    return [...this.#byUser.values()];
  }

  /** Number of logged-in users. */
  get size(): number {
    return this.#byUser.size;
  }

  /** Calls `listener` on every change; returns a function that stops it. */
  subscribe(listener: (change: PresenceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #end(user: LoggedInUser, now: number): void {
    this.#byPeer.delete(user.peerId);
    this.#byUser.delete(user.username);
    this.#away.delete(user.username);
    this.#stale = true;
    this.#emit({ username: user.username, peerId: user.peerId, online: false, at: now, away: "" });
  }

  #announce(user: LoggedInUser, now: number): void {
    const { username, peerId } = user;
    this.#emit({ username, peerId, online: true, at: now, away: this.awayOf(username) });
  }

  #emit(change: PresenceChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
