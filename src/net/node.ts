/**
 * Builds the libp2p node both roles use: TCP + Noise + Yamux + identify + ping, with explicit
 * connection and stream limits; a rendezvous adds the circuit relay v2 server, a peer the relay
 * transport and DCUtR (a relayed connection upgraded to a direct one).
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { Identify } from "@libp2p/identify";
import type { Libp2p, PrivateKey } from "@libp2p/interface";
import { ping } from "@libp2p/ping";
import type { Ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import {
  type CircuitRelayServerComponents,
  type CircuitRelayService,
  circuitRelayTransport,
} from "@libp2p/circuit-relay-v2";
import { dcutr } from "@libp2p/dcutr";
import type { ConnectionGater } from "@libp2p/interface";
import { createLibp2p } from "libp2p";
import { type NodeControls, nodeControls } from "./node_controls.ts";

/** Connection limits of a node; see NODE_LIMITS for the defaults. */
export interface NodeLimits {
  /** Open connections in all. */
  readonly maxConnections: number;
  /** Inbound connections per second from one host before it is refused. */
  readonly inboundConnectionsPerSecondPerHost: number;
  /** Connections still in their Noise/Yamux upgrade. */
  readonly maxPendingConnections: number;
  /** Time for one connection upgrade. */
  readonly upgradeTimeoutMs: number;
  /** Streams one connection may open to us at once. */
  readonly maxInboundStreamsPerConnection: number;
  /** Interval of the keep-alive ping; a dead connection is dropped after a failed ping. */
  readonly pingIntervalMs: number;
}

/** Defaults sized for a rendezvous serving a few thousand users. */
export const NODE_LIMITS: NodeLimits = {
  maxConnections: 5000,
  inboundConnectionsPerSecondPerHost: 20,
  maxPendingConnections: 200,
  upgradeTimeoutMs: 10_000,
  maxInboundStreamsPerConnection: 64,
  pingIntervalMs: 4_000,
};

/** What a tincan node is built from. */
export interface NodeOptions {
  readonly privateKey: PrivateKey;
  readonly listen: readonly string[];
  readonly limits?: Partial<NodeLimits>;
  /** The identify agent string, e.g. "tincan/0.1.0 rendezvous home". */
  readonly agent: string;
  /** The addresses announced instead of the listen addresses (a rendezvous's --announce). */
  readonly announce?: readonly string[];
  /** Serve circuit relay v2 with this service (a rendezvous: RendezvousRelay.server()). */
  readonly relayServer?: (components: CircuitRelayServerComponents) => CircuitRelayService;
  /** Dial and listen through relays, and upgrade relayed connections with DCUtR (a peer). */
  readonly relayClient?: boolean;
  /** Leave DCUtR out (benchmarks that measure the relay itself). */
  readonly withoutDcutr?: boolean;
  /** Decides reservations and relayed connections (the rendezvous's relay). */
  readonly gater?: ConnectionGater;
}

/** The services of a tincan node; `relay` only on a rendezvous that relays. */
export interface TincanServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  controls: NodeControls;
  relay?: CircuitRelayService;
}

/** The libp2p node type both roles use. */
export type TincanNode = Libp2p<TincanServices>;

/** Time for a relay reservation made by listening on `<relay>/p2p-circuit`. */
const RESERVATION_TIMEOUT_MS = 5_000;

/** Creates and starts a node. */
export async function createNode(options: NodeOptions): Promise<TincanNode> {
  const limits = { ...NODE_LIMITS, ...options.limits };
  return await createLibp2p({
    privateKey: options.privateKey,
    nodeInfo: { userAgent: options.agent },
    addresses: {
      listen: [...options.listen],
      ...(options.announce?.length ? { announce: [...options.announce] } : {}),
    },
    transports: options.relayClient
      ? [tcp(), circuitRelayTransport({ reservationCompletionTimeout: RESERVATION_TIMEOUT_MS })]
      : [tcp()],
    ...(options.gater ? { connectionGater: options.gater } : {}),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxInboundStreams: limits.maxInboundStreamsPerConnection })],
    connectionManager: {
      maxConnections: limits.maxConnections,
      inboundConnectionThreshold: limits.inboundConnectionsPerSecondPerHost,
      maxIncomingPendingConnections: limits.maxPendingConnections,
      inboundUpgradeTimeout: limits.upgradeTimeoutMs,
    },
    connectionMonitor: {
      pingInterval: limits.pingIntervalMs,
      abortConnectionOnPingFailure: true,
    },
    services: {
      identify: identify(),
      ping: ping(),
      controls: nodeControls(),
      ...(options.relayServer ? { relay: options.relayServer } : {}),
      ...(options.relayClient && !options.withoutDcutr ? { dcutr: dcutr() } : {}),
    },
  });
}
