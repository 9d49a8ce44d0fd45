/**
 * DISCOVER throughput against a rendezvous in its own process: a namespace holding `registered`
 * peers, each client asking for `limit` of them, one request at a time on its own stream.
 */
import { sealPeerRecord } from "../src/net/peer_record.ts";
import { DiscoveryClient } from "../src/peer/clients/discovery.ts";
import { FRAMES } from "../src/protocol/limits.ts";
import { type BenchPeer, CHEAP_STRETCHING, loggedInClients, stopClients } from "./clients.ts";
import { measureForDuration, type Measurement } from "./measure.ts";
import type { ServerProcess } from "./server_process.ts";

/** The namespace the bench's peers register in. */
export const BENCH_NAMESPACE = "tincan-bench";

/** Measures DISCOVER requests/s for each client count in `clients`, `seconds` each. */
export async function benchDiscover(
  server: ServerProcess,
  options: {
    readonly registered: number;
    readonly limit: number;
    readonly clients: readonly number[];
    readonly seconds: number;
  },
): Promise<Map<number, Measurement>> {
  const peers = await loggedInClients(server.address, "disc", options.registered, CHEAP_STRETCHING);
  try {
    await registerAll(server, peers);
    const results = new Map<number, Measurement>();
    for (const n of options.clients) {
      results.set(n, await measureWithClients(server, peers.slice(0, n), options));
    }
    return results;
  } finally {
    await stopClients(peers);
  }
}

/** Registers every peer in BENCH_NAMESPACE with a signed peer record, 25 at a time. */
async function registerAll(server: ServerProcess, peers: readonly BenchPeer[]): Promise<void> {
  const batch = 25;
  for (let i = 0; i < peers.length; i += batch) {
    await Promise.all(
      peers.slice(i, i + batch).map(async (peer, j) => {
        const client = await DiscoveryClient.open(peer.node, server.address);
        try {
          const record = await sealPeerRecord(peer.key, [benchAddress(i + j)], 1n);
          await client.register(BENCH_NAMESPACE, record);
        } finally {
          await client.close();
        }
      }),
    );
  }
}

async function measureWithClients(
  server: ServerProcess,
  peers: readonly BenchPeer[],
  options: { readonly limit: number; readonly seconds: number },
): Promise<Measurement> {
  const clients = peers.map((p) => new RenewingDiscoveryClient(p, server));
  try {
    const first = await clients[0]!.discover(options.limit);
    if (first !== options.limit) {
      throw new Error(`DISCOVER returned ${first} registrations, not ${options.limit}`);
    }
    return await measureForDuration({
      workers: clients.length,
      seconds: options.seconds,
      server,
      op: async (w) => {
        await clients[w]!.discover(options.limit);
      },
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** Requests on one /rendezvous/1.0.0 stream before the bench opens a new one (both sides cap it). */
const REQUESTS_PER_STREAM =
  Math.min(FRAMES.rendezvous.maxFrames, FRAMES.rendezvousResponse.maxFrames) -
  1;

/** A DiscoveryClient replaced by a fresh stream before it reaches the frame cap. */
class RenewingDiscoveryClient {
  #client: Promise<DiscoveryClient> | undefined;
  #requests = 0;

  constructor(private readonly peer: BenchPeer, private readonly server: ServerProcess) {}

  /** DISCOVERs BENCH_NAMESPACE; returns how many registrations came back. */
  async discover(limit: number): Promise<number> {
    if (this.#requests >= REQUESTS_PER_STREAM) await this.close();
    this.#client ??= DiscoveryClient.open(this.peer.node, this.server.address);
    this.#requests++;
    return (await (await this.#client).discover(BENCH_NAMESPACE, limit)).registrations.length;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#requests = 0;
    await (await client)?.close();
  }
}

/** A plausible listen address for bench peer `i` to put in its signed peer record. */
export function benchAddress(i: number): string {
  return `/ip4/127.0.0.1/tcp/${20_000 + i}`;
}
