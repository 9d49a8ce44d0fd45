/**
 * Builds the libp2p node both roles use: TCP + Noise + Yamux + identify + ping, with explicit
 * connection and stream limits; a rendezvous adds the circuit relay v2 server, a peer the relay
 * transport and DCUtR (a relayed connection upgraded to a direct one).
 *
 * Liveness: libp2p's connection monitor (a ping stream to every connection every few seconds)
 * is off — at 1,000 peers it cost a rendezvous about a fifth of a core. A peer's link to its
 * rendezvous is watched by the presence stream's heartbeat instead (PRESENCE_HEARTBEAT in
 * src/protocol/limits.ts: the rendezvous drops a peer silent for 29 s, a peer reconnects when a
 * heartbeat goes unanswered); a link between two peers is dropped when the rendezvous reports
 * the other offline. TCP keep-alive stays on, its first probe after tcpKeepAliveMs idle where
 * the runtime honours the delay. Yamux's keep-alive ping is off too (it measured round trips,
 * never dropped a connection).
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
import { coalescedWrites } from "./coalesced_writes.ts";
import { linearConnectionList } from "./connection_list.ts";
import { type NodeControls, nodeControls } from "./node_controls.ts";
import { libp2pLogger } from "./quiet_logger.ts";

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
  /** Idle time before a TCP connection's first keep-alive probe (SO_KEEPALIVE). */
  readonly tcpKeepAliveMs: number;
  /**
   * Time without a byte either way after which a TCP connection is closed (@libp2p/tcp's socket
   * inactivity timeout, both directions). A peer's link to its rendezvous carries the presence
   * heartbeat well within it.
   */
  readonly socketInactivityTimeoutMs: number;
}

/**
 * Defaults sized for a rendezvous serving ten thousand users (bench/scale.ts): one connection each,
 * with headroom for reconnects whose old connection has not timed out yet. The process needs an
 * open-file limit (`ulimit -n`) above maxConnections.
 */
export const NODE_LIMITS: NodeLimits = {
  maxConnections: 12_000,
  inboundConnectionsPerSecondPerHost: 20,
  maxPendingConnections: 200,
  upgradeTimeoutMs: 10_000,
  maxInboundStreamsPerConnection: 64,
  tcpKeepAliveMs: 25_000,
  // @libp2p/tcp's own default, made explicit.
  socketInactivityTimeoutMs: 120_000,
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
  /**
   * A rendezvous serving many clients: it never dials them back, so it does not identify them
   * when they connect and forgets them (peer store) when they leave, and their streams get
   * yamux's smallest receive window (SERVER_STREAM_WINDOW_BYTES).
   */
  readonly server?: boolean;
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
  connectionList: object;
  relay?: CircuitRelayService;
}

/** The libp2p node type both roles use. */
export type TincanNode = Libp2p<TincanServices>;

/** Time for a relay reservation made by listening on `<relay>/p2p-circuit`. */
const RESERVATION_TIMEOUT_MS = 5_000;

/**
 * A server's per-stream receive window: the yamux spec's initial 256 KiB, not grown towards
 * yamux's 16 MiB default. A window is credit, not an allocation, but it bounds what a client may
 * make the server buffer on a stream it does not read yet; rendezvous frames are small, and a
 * relayed chat needs no more (file data never crosses the relay).
 */
export const SERVER_STREAM_WINDOW_BYTES = 256 * 1024;

/** Creates and starts a node. */
export async function createNode(options: NodeOptions): Promise<TincanNode> {
  const limits = { ...NODE_LIMITS, ...options.limits };
  const logger = libp2pLogger();
  const socket = { keepAlive: true, keepAliveInitialDelay: limits.tcpKeepAliveMs };
  // One socket write per send, not one per buffer (a Noise frame is two): coalesced_writes.ts.
  const tcpTransport = coalescedWrites(tcp({
    dialOpts: socket,
    listenOpts: socket,
    inboundSocketInactivityTimeout: limits.socketInactivityTimeoutMs,
    outboundSocketInactivityTimeout: limits.socketInactivityTimeoutMs,
  }));
  const node: TincanNode = await createLibp2p({
    privateKey: options.privateKey,
    ...(logger ? { logger } : {}),
    nodeInfo: { userAgent: options.agent },
    addresses: {
      listen: [...options.listen],
      ...(options.announce?.length ? { announce: [...options.announce] } : {}),
    },
    transports: options.relayClient
      ? [
        tcpTransport,
        circuitRelayTransport({ reservationCompletionTimeout: RESERVATION_TIMEOUT_MS }),
      ]
      : [tcpTransport],
    ...(options.gater ? { connectionGater: options.gater } : {}),
    connectionEncrypters: [noise()],
    // Yamux's keep-alive ping (every 30 s, both ways) only measures round trips — it never drops
    // a dead connection — so it is off: a frame each way per connection for nothing.
    streamMuxers: [yamux({
      maxInboundStreams: limits.maxInboundStreamsPerConnection,
      enableKeepAlive: false,
      ...(options.server
        ? { streamOptions: { maxStreamWindowSize: SERVER_STREAM_WINDOW_BYTES } }
        : {}),
    })],
    connectionManager: {
      maxConnections: limits.maxConnections,
      inboundConnectionThreshold: limits.inboundConnectionsPerSecondPerHost,
      maxIncomingPendingConnections: limits.maxPendingConnections,
      inboundUpgradeTimeout: limits.upgradeTimeoutMs,
    },
    connectionMonitor: { enabled: false },
    services: {
      // A server answers its clients' identify (they learn their observed address from it) but
      // does not ask them: their listen addresses and protocols are of no use to it.
      identify: identify(options.server ? { runOnConnectionOpen: false } : {}),
      ping: ping(),
      controls: nodeControls(),
      // libp2p lists connections in quadratic time; at 10,000 that stalls the accept path.
      connectionList: linearConnectionList(),
      ...(options.relayServer ? { relay: options.relayServer } : {}),
      ...(options.relayClient && !options.withoutDcutr ? { dcutr: dcutr() } : {}),
    },
  });
  if (options.server) forgetPeersOnDisconnect(node);
  return node;
}

/**
 * Deletes a peer's peer-store entry (what identify pushes, relay tags) once its last connection
 * closes: libp2p keeps entries for hours, so a server's store would grow with every client that
 * ever connected.
 */
function forgetPeersOnDisconnect(node: TincanNode): void {
  node.addEventListener("peer:disconnect", ({ detail: peerId }) => {
    node.peerStore.delete(peerId).catch(() => {
      // stopping: the store is going away anyway
    });
  });
}
