/**
 * The narrow, read-mostly view of a running rendezvous that its HTTP side receives: node facts,
 * who is online, the counters, database totals, and the operator's few actions. Counts and
 * public keys only: nothing here reaches a password record or an envelope.
 */
import type { AdminActions } from "../admin/actions.ts";
import type { FederatedNodeStatus } from "../federation/federation.ts";
import type { BlockedKey } from "../account_throttle.ts";
import type { Metrics } from "../metrics.ts";
import type { RelayCounters } from "../relay.ts";
import type { StatsStore } from "../store/stats.ts";

/** Facts about the node shown on the dashboard. */
export interface NodeInfo {
  readonly name: string;
  readonly peerId: string;
  readonly listen: readonly string[];
  /** The addresses given with --announce (none: the listen addresses are advertised). */
  readonly announce: readonly string[];
  readonly version: string;
  readonly startedAt: number;
}

/** A logged-in user: name, since when, and how it is connected (`direct` or `relayed`). */
export interface OnlineUser {
  readonly username: string;
  readonly since: number;
  readonly kind: string;
}

/** A blocked throttle key (`pair:NAME@ADDRESS`, `addr:…`, `user:…`, `register:…`). */
export type ThrottleEntry = BlockedKey;

/** A change of who is online. */
export interface PresenceNotice {
  readonly username: string;
  readonly online: boolean;
  readonly at: number;
}

/** What the HTTP side may see and do. */
export interface OperatorPort {
  readonly metrics: Metrics;
  readonly stats: StatsStore;
  readonly admin: AdminActions;
  now(): number;
  info(): NodeInfo;
  online(): OnlineUser[];
  /** The circuit relay's counters; undefined when the node runs no relay. */
  relay(): RelayCounters | undefined;
  /** The federated nodes as SERVERS shows them (none when the node federates with none). */
  federation(): FederatedNodeStatus[];
  /** Distinct peers with an open connection. */
  connectedPeers(): number;
  /** Whether the node is started and its database answers. */
  healthy(): boolean;
  throttles(limit: number): ThrottleEntry[];
  clearThrottle(key: string): boolean;
  /** Calls `listener` on every login and logout; returns a function that stops it. */
  subscribePresence(listener: (notice: PresenceNotice) => void): () => void;
}
