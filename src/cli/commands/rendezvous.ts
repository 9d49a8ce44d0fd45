/** `tincan rendezvous`: run a rendezvous node until interrupted. */
import { parseRendezvousConfig, type RendezvousConfig } from "../../rendezvous/config.ts";
import { RENDEZVOUS_OPTIONS_HELP } from "../../rendezvous/config_options.ts";
import { startRendezvous } from "../../rendezvous/server.ts";
import type { Command } from "../command.ts";
import { EXIT } from "../io.ts";
import { withoutLeadingDashes } from "../parse.ts";
import { aborted } from "../signals.ts";

/** `tincan rendezvous --help`. */
export const RENDEZVOUS_HELP =
  `Usage: tincan rendezvous [--config FILE] [--listen MULTIADDR]... [--announce MULTIADDR]...
                         [--data DIR] [--name NAME] [--http [ADDR]] [--log-level LEVEL]
                         [--log-format text|json] [--no-relay] [--relay-* VALUE]...
                         [--federate NAME=MULTIADDR/p2p/PEERID]...

Runs a rendezvous node: accounts (OPAQUE), presence, the libp2p rendezvous protocol,
the key directory, and a circuit relay for logged-in peers behind NATs. When ready,
prints each announced address (with /p2p/<PeerId>) on its own line on stdout; logs go
to stderr. Stop it with Ctrl-C. Give --announce on a public server (e.g.
/ip6/2001:db8::1/tcp/4001): without it only private and loopback listen addresses are
advertised, and peers behind NATs get no usable relay address.
With --federate it federates with the rendezvous nodes listed (each must list this
one, under this one's --name): their users and ours can look each other up and mail
each other as bob@NAME (see the README, "Federation").
With --http it also serves the operator's dashboard, /metrics, /healthz and the API;
the admin token is printed once to stderr at the first start (kept in DIR/admin.token).

Options:
${RENDEZVOUS_OPTIONS_HELP}
  -h, --help                show this help`;

/** The checked configuration a run gets (the config file already read and merged). */
export type RendezvousArgs = Omit<RendezvousConfig, "help">;

/**
 * The `tincan rendezvous` command, reading a --config file with `readFile`: its parse is pure
 * but for that one read (tests pass their own reader).
 */
export function rendezvousCommand(readFile: (path: string) => string): Command<RendezvousArgs> {
  return {
    name: "rendezvous",
    summary: "run a rendezvous node (accounts, presence, directory, relay)",
    help: RENDEZVOUS_HELP,
    logLevel: "info",
    // Listening for the signals from the start: whoever reads the addresses may stop us at once.
    catchSignals: true,
    parse(args) {
      const { help, ...config } = parseRendezvousConfig(withoutLeadingDashes(args), readFile);
      return help ? { help: true } : { ...config, help: false };
    },
    logging: (config) => ({ level: config.logLevel, format: config.logFormat }),
    async run(config, { io, signal }) {
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
      const node = await startRendezvous({
        dataDir: config.dataDir,
        listen: config.listen,
        name: config.name,
        coolingOffMs: config.coolingOffMs,
        announce: config.announce,
        relay: config.relay,
        federate: config.federate,
        federatedList: config.federatedList,
        ...(http ? { http } : {}),
      });
      if (node.http) {
        io.err(`tincan: dashboard at ${node.http.url}/`);
        const token = node.http.newAdminToken;
        if (token !== undefined) {
          io.err(
            `tincan: admin token (shown once; also in ${config.dataDir}/admin.token): ${token}`,
          );
        }
      }
      for (const address of node.multiaddrs()) io.out(address);
      await aborted(signal);
      io.err("tincan: stopping the rendezvous");
      await node.stop();
      return EXIT.ok;
    },
  };
}

/** `tincan rendezvous`: runs the rendezvous until SIGINT or SIGTERM. */
export const rendezvous: Command<RendezvousArgs> = rendezvousCommand((path) =>
  Deno.readTextFileSync(path)
);
