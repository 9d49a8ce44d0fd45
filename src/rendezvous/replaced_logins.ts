/**
 * What happens to an older login when a newer one replaces it. A user is logged in once, from
 * one PeerId over one connection: a login replaces
 * - every other connection of the same PeerId (a second process on the same profile, or the same
 *   key on another machine, or the user's own restart before the old connection timed out), and
 * - every connection of the user's previous PeerId (a login from another identity key).
 * The newer login wins. Each older one is told first, on its presence stream (a last
 * PresenceEvent with status E_REPLACED and a sentence saying why; waited for at most
 * TELL_TIMEOUT_MS), and then its connection is closed, so it can act as the user no more. A
 * client told E_REPLACED must not log in again by itself: two processes would take turns
 * replacing each other.
 */
import type { Connection } from "@libp2p/interface";

/** How long a replaced login's presence stream may take to accept its last event. */
export const TELL_TIMEOUT_MS = 1000;
/** How long a replaced connection may take to close gracefully before it is aborted. */
export const CLOSE_TIMEOUT_MS = 1000;

/** What replacing needs of a connection. */
export type ReplaceableConnection = Pick<Connection, "id" | "remotePeer" | "close" | "abort">;

/** Delivers the E_REPLACED event with this text; resolves once it is written. */
export type Teller = (statusText: string) => Promise<void>;

/** The presence streams that can be told, by connection, and the replacing of older logins. */
export class ReplacedLogins {
  readonly #tellers = new Map<string, Set<Teller>>();

  /** `connectionsOf`: the open connections of a PeerId (the node's). */
  constructor(
    private readonly connectionsOf: (peerId: string) => readonly ReplaceableConnection[],
  ) {}

  /** Registers how to tell the login on connection `connectionId`; returns the unregistering. */
  listen(connectionId: string, tell: Teller): () => void {
    let tellers = this.#tellers.get(connectionId);
    if (tellers === undefined) this.#tellers.set(connectionId, tellers = new Set());
    tellers.add(tell);
    return () => {
      tellers.delete(tell);
      if (tellers.size === 0) this.#tellers.delete(connectionId);
    };
  }

  /**
   * Tells and then closes every login that `current`'s login as `username` replaces: the other
   * connections of its PeerId, and those of `previousPeerId` (the user's login from another
   * key), when given. Returns how many connections it closed.
   */
  async replaceOlder(
    current: ReplaceableConnection,
    username: string,
    previousPeerId: string | undefined,
  ): Promise<number> {
    const peerId = current.remotePeer.toString();
    const samePeer = this.connectionsOf(peerId).filter((c) => c.id !== current.id);
    const otherKey = previousPeerId === undefined || previousPeerId === peerId
      ? []
      : this.connectionsOf(previousPeerId);
    const tell = (connections: readonly ReplaceableConnection[], text: string) =>
      connections.map((c) => this.#tell(c, text));
    await Promise.all([
      ...tell(
        samePeer,
        `${username} logged in again with this identity key from another connection ` +
          `(another tincan on this profile?); this login is replaced`,
      ),
      ...tell(
        otherKey,
        `${username} logged in from another identity key; this login is replaced`,
      ),
    ]);
    const older = [...samePeer, ...otherKey];
    await Promise.all(older.map(closeQuickly));
    return older.length;
  }

  async #tell(connection: ReplaceableConnection, text: string): Promise<void> {
    const tellers = [...this.#tellers.get(connection.id) ?? []];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, TELL_TIMEOUT_MS));
    try {
      await Promise.race([Promise.all(tellers.map((t) => t(text).catch(() => {}))), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

async function closeQuickly(connection: ReplaceableConnection): Promise<void> {
  try {
    await connection.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) });
  } catch (err: unknown) {
    connection.abort(err instanceof Error ? err : new Error(String(err)));
  }
}
