/** Limits of the bench's server processes: every client comes from 127.0.0.1. */
import type { NodeLimits } from "../src/net/node.ts";

/** Node limits raised so that one host may open thousands of connections quickly. */
export const BENCH_NODE_LIMITS: Partial<NodeLimits> = {
  inboundConnectionsPerSecondPerHost: 100_000,
  maxConnections: 20_000,
  maxPendingConnections: 1_000,
};

/**
 * BENCH_NODE_LIMITS, with the keep-alive ping every `pingIntervalMs` (a decimal string, from a
 * server process's command line) when given.
 * @throws RangeError when it is not a positive number.
 */
export function benchNodeLimits(pingIntervalMs: string | undefined): Partial<NodeLimits> {
  if (pingIntervalMs === undefined) return BENCH_NODE_LIMITS;
  const ms = Number(pingIntervalMs);
  if (!(ms > 0)) throw new RangeError(`--ping-interval-ms must be positive, not ${pingIntervalMs}`);
  return { ...BENCH_NODE_LIMITS, pingIntervalMs: ms };
}
