/**
 * Builds the libp2p node both roles use: TCP + Noise + Yamux + identify + ping, with explicit
 * connection and stream limits.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { Identify } from "@libp2p/identify";
import type { Libp2p, PrivateKey } from "@libp2p/interface";
import { ping } from "@libp2p/ping";
import type { Ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";

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
}

/** The libp2p node type both roles use. */
export type TincanNode = Libp2p<{ identify: Identify; ping: Ping }>;

/** Creates and starts a node. */
export async function createNode(options: NodeOptions): Promise<TincanNode> {
  const limits = { ...NODE_LIMITS, ...options.limits };
  return await createLibp2p({
    privateKey: options.privateKey,
    nodeInfo: { userAgent: options.agent },
    addresses: { listen: [...options.listen] },
    transports: [tcp()],
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
    services: { identify: identify(), ping: ping() },
  });
}
