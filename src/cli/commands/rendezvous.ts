/** `tincan rendezvous`: run a rendezvous node until interrupted. */
import { configureLogging } from "../../log.ts";
import { parseRendezvousConfig, RENDEZVOUS_OPTIONS_HELP } from "../../rendezvous/config.ts";
import { startRendezvous } from "../../rendezvous/server.ts";
import { type CliIO, EXIT } from "../io.ts";

export const RENDEZVOUS_HELP =
  `Usage: tincan rendezvous [--config FILE] [--listen MULTIADDR]... [--data DIR] [--name NAME]
                         [--http [ADDR]] [--log-level LEVEL] [--log-format text|json]

Runs a rendezvous node: accounts (OPAQUE), presence, the libp2p rendezvous protocol
and the key directory. When ready, prints each listen address (with /p2p/<PeerId>)
on its own line on stdout; logs go to stderr. Stop it with Ctrl-C.
With --http it also serves the operator's dashboard, /metrics, /healthz and the API;
the admin token is printed once to stderr at the first start (kept in DIR/admin.token).

Options:
${RENDEZVOUS_OPTIONS_HELP}
  -h, --help                show this help`;

/** Runs the rendezvous until SIGINT or SIGTERM; returns the exit code. */
export async function runRendezvous(args: readonly string[], io: CliIO): Promise<number> {
  const config = parseRendezvousConfig(args, (path) => Deno.readTextFileSync(path));
  if (config.help) {
    io.out(RENDEZVOUS_HELP);
    return EXIT.ok;
  }
  configureLogging(config.logLevel, undefined, config.logFormat);
  const http = config.http && {
    hostname: config.http.hostname,
    port: config.http.port,
    ...(config.http.certFile !== undefined && config.http.keyFile !== undefined
      ? {
        tls: {
          cert: await Deno.readTextFile(config.http.certFile),
          key: await Deno.readTextFile(config.http.keyFile),
        },
      }
      : {}),
  };
  const rendezvous = await startRendezvous({
    dataDir: config.dataDir,
    listen: config.listen,
    name: config.name,
    coolingOffMs: config.coolingOffMs,
    ...(http ? { http } : {}),
  });
  // Listen for the signals before printing the addresses: whoever reads them may stop us at once.
  const stopped = new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGINT", resolve);
    Deno.addSignalListener("SIGTERM", resolve);
  });
  if (rendezvous.http) {
    io.err(`tincan: dashboard at ${rendezvous.http.url}/`);
    const token = rendezvous.http.newAdminToken;
    if (token !== undefined) {
      io.err(`tincan: admin token (shown once; also in ${config.dataDir}/admin.token): ${token}`);
    }
  }
  for (const address of rendezvous.multiaddrs()) io.out(address);
  await stopped;
  io.err("tincan: stopping the rendezvous");
  await rendezvous.stop();
  return EXIT.ok;
}
