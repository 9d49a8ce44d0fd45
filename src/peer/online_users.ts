/**
 * Who is online at the rendezvous among the users this peer follows, as its presence feed says:
 * username → PeerId and away text.
 */

/** What one online event changed: the user came online, or only its away text changed. */
export type Arrival = "arrived" | "away" | undefined;

/** The followed users online now. */
export class OnlineUsers {
  readonly #online = new Map<string, { peerId: string; away: string }>();

  /** Whether `username` is online now. */
  isOnline(username: string): boolean {
    return this.#online.has(username);
  }

  /** The away text of `username` ("" when not away), or undefined when it is offline. */
  awayOf(username: string): string | undefined {
    return this.#online.get(username)?.away;
  }

  /** The username online on `peerId`, if any. */
  usernameOn(peerId: string): string | undefined {
    for (const [username, on] of this.#online) if (on.peerId === peerId) return username;
    return undefined;
  }

  /** Everyone followed and online now (usernames, sorted). */
  online(): string[] {
    return [...this.#online.keys()].sort();
  }

  /**
   * Notes `username` online on `peerId` with `away`; returns "arrived" when it was offline,
   * "away" when only its away text changed, undefined when nothing did.
   */
  arrived(username: string, peerId: string, away = ""): Arrival {
    const was = this.#online.get(username);
    this.#online.set(username, { peerId, away });
    if (was === undefined) return "arrived";
    return was.away === away ? undefined : "away";
  }

  /**
   * Notes `username` offline when it left from `peerId` (not from an older device it replaced);
   * returns whether it went offline.
   */
  left(username: string, peerId: string): boolean {
    if (this.#online.get(username)?.peerId !== peerId) return false;
    this.#online.delete(username);
    return true;
  }

  /** Forgets `username` (no longer followed). */
  forget(username: string): void {
    this.#online.delete(username);
  }

  /** Forgets everyone (the presence feed was lost). */
  clear(): void {
    this.#online.clear();
  }
}
