/**
 * The logger libp2p gets. libp2p's default (`@libp2p/logger`, built on `debug`) creates two or
 * three `debug` instances for every connection, muxer and stream even when nothing is enabled —
 * about 10 KiB of heap per connection on a rendezvous (bench/heap_summary.ts). Unless the operator
 * asks for libp2p's debug output with the `DEBUG` environment variable (`DEBUG=libp2p:*`), every
 * component shares one logger that does nothing.
 */
import type { ComponentLogger, Logger } from "@libp2p/interface";

const silent: Logger = Object.assign(() => {}, {
  error: () => {},
  trace: () => {},
  enabled: false,
  newScope: (): Logger => silent,
});

/** One shared do-nothing logger for every libp2p component. */
export const SILENT_LOGGER: ComponentLogger = { forComponent: () => silent };

/**
 * The logger for a libp2p node: undefined (libp2p's own `debug` logger) when `DEBUG` is set, else
 * SILENT_LOGGER. Without permission to read the environment it is SILENT_LOGGER.
 */
export function libp2pLogger(): ComponentLogger | undefined {
  let debug: string | undefined;
  try {
    debug = Deno.env.get("DEBUG");
  } catch {
    // no --allow-env: libp2p's debug output cannot be asked for either
  }
  return debug ? undefined : SILENT_LOGGER;
}
