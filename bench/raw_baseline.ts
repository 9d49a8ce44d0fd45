/**
 * The raw baseline: echo round trips against a plain libp2p node in its own process, over a
 * fresh stream per request and over one long-lived stream, with one and with several clients.
 */
import { startClient, stopClients } from "./clients.ts";
import { echoOnFreshStream, EchoSession } from "./echo.ts";
import { measureForDuration, type Measurement } from "./measure.ts";
import { spawnServerProcess } from "./server_process.ts";
import type { BenchPeer } from "./clients.ts";

/** Bytes of each echoed request, about the size of an OPAQUE or rendezvous request. */
export const ECHO_PAYLOAD_BYTES = 128;

/** Raw round-trip rates, keyed by stream kind and number of concurrent clients. */
export interface RawBaseline {
  readonly fresh: ReadonlyMap<number, Measurement>;
  readonly longLived: ReadonlyMap<number, Measurement>;
}

/**
 * Measures raw echo round trips for each client count in `freshClients` (a new stream per
 * request) and `longLivedClients` (one stream per client), `seconds` each.
 */
export async function benchRawBaseline(options: {
  readonly seconds: number;
  readonly freshClients: readonly number[];
  readonly longLivedClients: readonly number[];
}): Promise<RawBaseline> {
  const server = await spawnServerProcess(new URL("./echo_process.ts", import.meta.url));
  const maxClients = Math.max(...options.freshClients, ...options.longLivedClients);
  const clients: BenchPeer[] = [];
  try {
    for (let i = 0; i < maxClients; i++) clients.push(await startClient(`raw-${i}`));
    const payload = new Uint8Array(ECHO_PAYLOAD_BYTES);
    const fresh = new Map<number, Measurement>();
    for (const n of options.freshClients) {
      fresh.set(
        n,
        await measureForDuration({
          workers: n,
          seconds: options.seconds,
          server,
          op: (w) => echoOnFreshStream(clients[w]!.node, server.address, payload),
        }),
      );
    }
    const longLived = new Map<number, Measurement>();
    for (const n of options.longLivedClients) {
      const sessions = await Promise.all(
        clients.slice(0, n).map((c) => EchoSession.open(c.node, server.address)),
      );
      try {
        longLived.set(
          n,
          await measureForDuration({
            workers: n,
            seconds: options.seconds,
            server,
            op: (w) => sessions[w]!.roundTrip(payload),
          }),
        );
      } finally {
        await Promise.all(sessions.map((s) => s.close()));
      }
    }
    return { fresh, longLived };
  } finally {
    await stopClients(clients);
    await server.stop();
  }
}
