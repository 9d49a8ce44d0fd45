/**
 * Builds the HTTP side's operator port from the parts of a running rendezvous: the node (peers,
 * connection kinds), who is logged in, the counters, the database totals, the account actions,
 * the account throttle and the federated nodes.
 */
import { peerIdFromString } from "@libp2p/peer-id";
import type { TincanNode } from "../net/node.ts";
import { VERSION } from "../version.ts";
import type { AdminActions } from "./admin/actions.ts";
import type { FederatedNodeStatus } from "./federation/federation.ts";
import type { OnlineUser, OperatorPort } from "./http/port.ts";
import type { Metrics } from "./metrics.ts";
import type { LoggedInUsers } from "./logged_in_users.ts";
import type { RelayCounters } from "./relay.ts";
import type { StatsStore } from "./store/stats.ts";
import type { AccountThrottle } from "./account_throttle.ts";

/** The parts the port reads. */
export interface OperatorParts {
  readonly name: string;
  readonly node: TincanNode;
  readonly loggedIn: LoggedInUsers;
  /** The addresses given with --announce. */
  readonly announce: readonly string[];
  /** The relay, when the node runs one. */
  readonly relay: { counters(): RelayCounters } | undefined;
  /** The federation, for its nodes' state. */
  readonly federation: { nodes(): FederatedNodeStatus[] };
  readonly metrics: Metrics;
  readonly stats: StatsStore;
  readonly admin: AdminActions;
  readonly throttle: AccountThrottle;
  readonly now: () => number;
}

/** The port over `parts`; the start time is now. */
export function operatorPort(parts: OperatorParts): OperatorPort {
  const startedAt = parts.now();
  const kindOf = (peerId: string): string => {
    const connections = parts.node.getConnections(peerIdFromString(peerId));
    if (connections.length === 0) return "none";
    return connections.some((c) => !String(c.remoteAddr).includes("/p2p-circuit"))
      ? "direct"
      : "relayed";
  };
  return {
    metrics: parts.metrics,
    stats: parts.stats,
    admin: parts.admin,
    now: parts.now,
    info: () => ({
      name: parts.name,
      peerId: parts.node.peerId.toString(),
      listen: parts.node.getMultiaddrs().map(String),
      announce: parts.announce,
      version: VERSION,
      startedAt,
    }),
    online: (): OnlineUser[] =>
      parts.loggedIn.online().map((user) => ({
        username: user.username,
        since: user.since,
        kind: kindOf(user.peerId),
      })),
    relay: () => parts.relay?.counters(),
    federation: () => parts.federation.nodes(),
    connectedPeers: () => parts.node.getPeers().length,
    healthy: () => parts.node.status === "started" && parts.stats.healthy(),
    throttles: (limit) => parts.throttle.blocked(parts.now(), limit),
    clearThrottle: (key) => parts.throttle.clear(key),
    subscribePresence: (listener) =>
      parts.loggedIn.subscribe((change) =>
        listener({ username: change.username, online: change.online, at: change.at })
      ),
  };
}
