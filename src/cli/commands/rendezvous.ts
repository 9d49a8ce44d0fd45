/** `tincan rendezvous`: run a rendezvous node until interrupted. */
import { UsageError } from "../../errors.ts";
import { parseMultiaddr } from "../../net/address.ts";
import { startRendezvous } from "../../rendezvous/server.ts";
import type { Command, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import { aborted } from "../signals.ts";
import { parseFlags } from "../parse.ts";
import { parseCount } from "../peer_args.ts";
import { parseSize } from "../../peer/files/units.ts";
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from "../../rendezvous/relay.ts";

/** `tincan rendezvous --help`. */
export const RENDEZVOUS_HELP =
  `Usage: tincan rendezvous [--listen MULTIADDR]... [--announce MULTIADDR]... [--data DIR]
       [--name NAME] [--no-relay] [relay limits]

Runs a rendezvous node: accounts (OPAQUE), presence, the libp2p rendezvous protocol,
the key directory, and a circuit relay for logged-in peers behind NATs. When ready,
prints each announced address (with /p2p/<PeerId>) on its own line on stdout; logs go
to stderr. Stop it with Ctrl-C.

Options:
  --listen MULTIADDR    address to listen on; repeatable (default /ip4/0.0.0.0/tcp/4001)
  --announce MULTIADDR  the public address peers reach this node at; repeatable. Give it
                        on a public server (e.g. /ip6/2001:db8::1/tcp/4001): without it
                        only private and loopback listen addresses are advertised, and
                        peers behind NATs get no usable relay address
  --data DIR            where the node key and database live (default ./tincan-rendezvous)
  --name NAME           this rendezvous's name, shown to users (default: the data dir's name)
  -h, --help            show this help

Relay (circuit relay v2, for logged-in users only):
  --no-relay                      run no relay
  --relay-max-reservations N      reservations in all (default ${DEFAULT_RELAY_LIMITS.maxReservations})
  --relay-reservations-per-user N reservations one user may hold (default ${DEFAULT_RELAY_LIMITS.reservationsPerUser})
  --relay-duration S              seconds one relayed connection may last (default ${
    DEFAULT_RELAY_LIMITS.connectionDurationMs / 1000
  })
  --relay-data SIZE               bytes one relayed connection may carry (default 64MiB)
  --relay-bandwidth SIZE          total bytes per second relayed; new relayed connections
                                  wait above it (default 16MiB)`;

/** Parsed `tincan rendezvous` arguments. */
export type RendezvousArgs = Parsed<RendezvousOptions>;

/** Where the rendezvous listens and keeps its data, and its name. */
export interface RendezvousOptions extends RelayFlags {
  readonly listen: string[];
  readonly dataDir: string;
  readonly name: string;
}

/** Where the rendezvous listens without --listen. */
export const DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";
/** Where the rendezvous keeps its data without --data. */
export const DEFAULT_DATA_DIR = "./tincan-rendezvous";
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses the arguments of `tincan rendezvous`.
 * @throws UsageError for unknown flags, bad multiaddrs or a bad name.
 */
export function parseRendezvousArgs(args: readonly string[]): RendezvousArgs {
  const { values } = parseFlags("rendezvous", args, {
    listen: { type: "string", multiple: true },
    data: { type: "string" },
    name: { type: "string" },
    ...RELAY_FLAGS,
  });
  if (values.help) return { help: true };
  const listen = values.listen?.length ? values.listen : [DEFAULT_LISTEN];
  for (const address of listen) {
    try {
      parseMultiaddr(address);
    } catch (err: unknown) {
      throw new UsageError(`rendezvous: --listen ${(err as Error).message}`);
    }
  }
  const dataDir = values.data ?? DEFAULT_DATA_DIR;
  if (dataDir === "") throw new UsageError("rendezvous: --data needs a directory");
  const name = values.name ?? (dataDir.split("/").filter(Boolean).pop() ?? "rendezvous");
  if (!NAME.test(name)) {
    throw new UsageError(
      `rendezvous: --name "${name}" must be 1 to 64 of letters, digits, ".", "_" and "-"`,
    );
  }
  return { help: false, listen, dataDir, name, ...parseRelayFlags(values) };
}

// --- Connectivity flags (--announce, relay limits): one block, to move into config.ts. ---

/** node:util parseArgs options of the connectivity flags. */
const RELAY_FLAGS = {
  announce: { type: "string", multiple: true },
  "no-relay": { type: "boolean" },
  "relay-max-reservations": { type: "string" },
  "relay-reservations-per-user": { type: "string" },
  "relay-duration": { type: "string" },
  "relay-data": { type: "string" },
  "relay-bandwidth": { type: "string" },
} as const;

/** The connectivity settings: what to announce, and the relay's limits (false: no relay). */
export interface RelayFlags {
  readonly announce: string[];
  readonly relay: Partial<RelayLimits> | false;
}

/**
 * Parses the connectivity flags.
 * @throws UsageError for a bad multiaddr, count or size, or limits given with --no-relay.
 */
export function parseRelayFlags(values: {
  announce?: string[] | undefined;
  "no-relay"?: boolean | undefined;
  "relay-max-reservations"?: string | undefined;
  "relay-reservations-per-user"?: string | undefined;
  "relay-duration"?: string | undefined;
  "relay-data"?: string | undefined;
  "relay-bandwidth"?: string | undefined;
}): RelayFlags {
  const announce = values.announce ?? [];
  for (const address of announce) {
    try {
      parseMultiaddr(address);
    } catch (err: unknown) {
      throw new UsageError(`rendezvous: --announce ${(err as Error).message}`);
    }
  }
  const count = (flag: keyof typeof values, max: number) => {
    const value = values[flag];
    return typeof value === "string"
      ? parseCount("rendezvous", `--${flag}`, value, 1, max)
      : undefined;
  };
  const size = (flag: "relay-data" | "relay-bandwidth") => {
    const value = values[flag];
    if (value === undefined) return undefined;
    try {
      return parseSize(value);
    } catch (err: unknown) {
      throw new UsageError(`rendezvous: --${flag}: ${(err as Error).message}`);
    }
  };
  const durationS = count("relay-duration", 7 * 24 * 3600);
  const limits: Partial<RelayLimits> = Object.fromEntries(
    Object.entries({
      maxReservations: count("relay-max-reservations", 1_000_000),
      reservationsPerUser: count("relay-reservations-per-user", 1000),
      connectionDurationMs: durationS === undefined ? undefined : durationS * 1000,
      connectionDataBytes: size("relay-data"),
      bandwidthBytesPerSecond: size("relay-bandwidth"),
    }).filter(([, v]) => v !== undefined),
  );
  if (values["no-relay"]) {
    if (Object.keys(limits).length > 0) {
      throw new UsageError("rendezvous: relay limits make no sense with --no-relay");
    }
    return { announce, relay: false };
  }
  return { announce, relay: limits };
}

/** `tincan rendezvous`: runs the rendezvous until SIGINT or SIGTERM. */
export const rendezvous: Command<RendezvousOptions> = {
  name: "rendezvous",
  summary: "run a rendezvous node (accounts, presence, directory, relay)",
  help: RENDEZVOUS_HELP,
  logLevel: "info",
  // Listening for the signals from the start: whoever reads the addresses may stop us at once.
  catchSignals: true,
  parse: (args) => parseRendezvousArgs(args),
  async run(args, { io, signal }) {
    const node = await startRendezvous({
      dataDir: args.dataDir,
      listen: args.listen,
      name: args.name,
      announce: args.announce,
      relay: args.relay,
    });
    for (const address of node.multiaddrs()) io.out(address);
    await aborted(signal);
    io.err("tincan: stopping the rendezvous");
    await node.stop();
    return EXIT.ok;
  },
};
