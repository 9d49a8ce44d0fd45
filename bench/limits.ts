/** Limits of the bench's server processes: every client comes from 127.0.0.1. */
import type { NodeLimits } from "../src/net/node.ts";

/**
 * How long a bench connection may stay silent. Real peers send the presence heartbeat every 20 s
 * ± 20 %; the scale bench's peers sit connected but silent for minutes between its stages (10,000
 * dials take ≈ 4 minutes here), and @libp2p/tcp's default (2 minutes) closed them: at 10,000 the
 * open connections fell from 5,100 to 3,100 once the first dialled had been silent for 2 minutes.
 */
export const BENCH_SOCKET_INACTIVITY_MS = 60 * 60_000;

/** Node limits raised so that one host may open thousands of connections quickly. */
export const BENCH_NODE_LIMITS: Partial<NodeLimits> = {
  inboundConnectionsPerSecondPerHost: 100_000,
  maxConnections: 20_000,
  maxPendingConnections: 1_000,
  socketInactivityTimeoutMs: BENCH_SOCKET_INACTIVITY_MS,
};
