/** Who is online at the rendezvous, as its presence feed says: username → PeerId. */
export class OnlineUsers {
  readonly #online = new Map<string, string>();

  /** Whether `username` is online now. */
  isOnline(username: string): boolean {
    return this.#online.has(username);
  }

  /** The username online on `peerId`, if any. */
  usernameOn(peerId: string): string | undefined {
    for (const [username, on] of this.#online) if (on === peerId) return username;
    return undefined;
  }

  /** Everyone online now (usernames, sorted). */
  online(): string[] {
    return [...this.#online.keys()].sort();
  }

  /** Notes `username` online on `peerId`; returns whether it was offline before. */
  arrived(username: string, peerId: string): boolean {
    const was = this.#online.has(username);
    this.#online.set(username, peerId);
    return !was;
  }

  /**
   * Notes `username` offline when it left from `peerId` (not from an older device it replaced);
   * returns whether it went offline.
   */
  left(username: string, peerId: string): boolean {
    if (this.#online.get(username) !== peerId) return false;
    this.#online.delete(username);
    return true;
  }

  /** Forgets everyone (the presence feed was lost). */
  clear(): void {
    this.#online.clear();
  }
}
