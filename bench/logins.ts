/**
 * OPAQUE login throughput against a rendezvous in its own process: end to end with the
 * production key stretching, and the server's capacity with cheap client key stretching.
 */
import type { Multiaddr } from "@multiformats/multiaddr";
import { type AccountOptions, KEY_STRETCHING } from "../src/peer/clients/account.ts";
import {
  benchLogin,
  type BenchPeer,
  CHEAP_STRETCHING,
  loggedInClients,
  stopClients,
} from "./clients.ts";
import { measureCount, measureForDuration, type Measurement } from "./measure.ts";
import type { ServerProcess } from "./server_process.ts";

/** The production client setting (Argon2id, RFC 9106 low-memory parameters). */
const PRODUCTION: AccountOptions = { keyStretching: KEY_STRETCHING };

/**
 * Logs `clients` users in `total` times in all, concurrently, with the production key
 * stretching: what a user waits for, bounded by the client's Argon2id.
 */
export async function benchLoginsEndToEnd(
  server: ServerProcess,
  options: { readonly clients: number; readonly total: number },
): Promise<Measurement> {
  return await withLoggedInClients(
    server.address,
    "e2e",
    options.clients,
    PRODUCTION,
    (peers) =>
      measureCount({
        workers: options.clients,
        total: options.total,
        server,
        op: (w) => benchLogin(peers[w]!, server.address, PRODUCTION),
      }),
  );
}

/**
 * Logs `clients` users in repeatedly for `seconds` with cheap client key stretching: the
 * server's OPAQUE, certificate and stream work per login, at the rate the clients can drive.
 */
export async function benchLoginCapacity(
  server: ServerProcess,
  options: { readonly clients: number; readonly seconds: number },
): Promise<Measurement> {
  return await withLoggedInClients(
    server.address,
    "capacity",
    options.clients,
    CHEAP_STRETCHING,
    (peers) =>
      measureForDuration({
        workers: options.clients,
        seconds: options.seconds,
        server,
        op: (w) => benchLogin(peers[w]!, server.address, CHEAP_STRETCHING),
      }),
  );
}

async function withLoggedInClients<T>(
  rendezvous: Multiaddr,
  prefix: string,
  count: number,
  options: AccountOptions,
  run: (peers: readonly BenchPeer[]) => Promise<T>,
): Promise<T> {
  const peers = await loggedInClients(rendezvous, prefix, count, options);
  try {
    return await run(peers);
  } finally {
    await stopClients(peers);
  }
}
