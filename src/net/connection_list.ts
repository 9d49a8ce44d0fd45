/**
 * A libp2p service that makes the connection manager list its connections in linear time.
 * libp2p 3.3.11's `getConnections()` builds the list with `conns = conns.concat(c)` once per peer,
 * which copies the growing array each time: quadratic in the open connections. It runs twice for
 * every inbound connection (the accept check and the pruner) and on every keep-alive tick, so a
 * rendezvous with 10,000 clients spent ≈ 0.7 s of its event loop per new connection (measured:
 * 24 ms per call at 1,000 connections, 760 ms at 10,000), accepted about one a second and, its
 * loop blocked, missed its clients' pings until they dropped it (bench/scale.ts, README "Rendezvous
 * at scale"). The service replaces that one method on the manager's instance with a linear one over
 * the same map; everything else stays libp2p's. The list is built with a plain loop: at 10,000
 * connections `[...map.values()].flat()` took ≈ 2 ms a call here, the loop ≈ 0.6 ms, and each new
 * connection makes two calls (bench/scale.ts: the rendezvous's CPU per accepted connection grew
 * from 3.8 ms at 1,000 open to ≈ 7 ms at 8,000).
 */

/** The part of libp2p's connection manager the service touches (C: Connection, P: PeerId). */
export interface ConnectionListPart<C, P> {
  getConnections(peerId?: P): C[];
  getConnectionsMap(): { values(): Iterable<C[]> };
}

/** What libp2p passes the service (its components, by name). */
export interface ConnectionListComponents<C, P> {
  readonly connectionManager: ConnectionListPart<C, P>;
}

/** The service factory, for createLibp2p's services; the service itself has no methods. */
export function linearConnectionList<C, P>(): (
  components: ConnectionListComponents<C, P>,
) => object {
  return ({ connectionManager }) => {
    const perPeer = connectionManager.getConnections.bind(connectionManager);
    connectionManager.getConnections = (peerId?: P): C[] =>
      peerId === undefined
        ? allConnections(connectionManager.getConnectionsMap())
        : perPeer(peerId);
    return {};
  };
}

/** Every connection of every peer, in map order. */
function allConnections<C>(byPeer: { values(): Iterable<C[]> }): C[] {
  const all: C[] = [];
  for (const connections of byPeer.values()) {
    for (const connection of connections) all.push(connection);
  }
  return all;
}
