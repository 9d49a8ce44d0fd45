/** Limits of the bench's server processes: every client comes from 127.0.0.1. */
import type { NodeLimits } from "../src/net/node.ts";

/** Node limits raised so that one host may open thousands of connections quickly. */
export const BENCH_NODE_LIMITS: Partial<NodeLimits> = {
  inboundConnectionsPerSecondPerHost: 100_000,
  maxConnections: 20_000,
  maxPendingConnections: 1_000,
};
