/**
 * Who is logged in: the one place that decides whether a Noise-authenticated PeerId may act as a
 * user. A login binds a username to the PeerId of the connection it ran on; the binding ends when
 * the last connection to that PeerId closes.
 */

/** A logged-in user. */
export interface Session {
  readonly username: string;
  readonly peerId: string;
  readonly since: number;
}

/** A change of who is online. */
export interface PresenceChange {
  readonly username: string;
  readonly peerId: string;
  readonly online: boolean;
  readonly at: number;
}

/** The logged-in users, by PeerId and by username. */
export class Sessions {
  readonly #byPeer = new Map<string, Session>();
  readonly #byUser = new Map<string, Session>();
  readonly #listeners = new Set<(change: PresenceChange) => void>();

  /**
   * Logs `peerId` in as `username`. A previous session of the same user from another PeerId, or
   * of this PeerId as another user, ends first; a repeated login announces the user again.
   * Returns the PeerId whose session was replaced.
   */
  login(username: string, peerId: string, now: number): string | undefined {
    const sameUser = this.#byUser.get(username);
    if (sameUser?.peerId === peerId) {
      // Logged in again (for example restarted before its old connection timed out): tell the
      // subscribers, whose links to it may be dead.
      this.#emit({ username, peerId, online: true, at: now });
      return undefined;
    }
    if (sameUser) this.#end(sameUser, now);
    const samePeer = this.#byPeer.get(peerId);
    if (samePeer) this.#end(samePeer, now);
    const session = { username, peerId, since: now };
    this.#byPeer.set(peerId, session);
    this.#byUser.set(username, session);
    this.#emit({ username, peerId, online: true, at: now });
    return sameUser?.peerId;
  }

  /** Announces `peerId`'s user as online again (it registered new addresses). */
  reannounce(peerId: string, now: number): void {
    const session = this.#byPeer.get(peerId);
    if (session) this.#emit({ username: session.username, peerId, online: true, at: now });
  }

  /** Ends the session of `peerId`, if any (its connection closed). */
  logout(peerId: string, now: number): Session | undefined {
    const session = this.#byPeer.get(peerId);
    if (session) this.#end(session, now);
    return session;
  }

  /** The username `peerId` is logged in as, or undefined: the authorization check. */
  usernameOf(peerId: string): string | undefined {
    return this.#byPeer.get(peerId)?.username;
  }

  /** The session of `username`, or undefined when the user is offline. */
  sessionOf(username: string): Session | undefined {
    return this.#byUser.get(username);
  }

  /** Everyone online now. */
  online(): Session[] {
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

  #end(session: Session, now: number): void {
    this.#byPeer.delete(session.peerId);
    this.#byUser.delete(session.username);
    this.#emit({ username: session.username, peerId: session.peerId, online: false, at: now });
  }

  #emit(change: PresenceChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
