/** `tincan rendezvous`: run a rendezvous node until interrupted. */
import { UsageError } from "../../errors.ts";
import { parseMultiaddr } from "../../net/address.ts";
import { startRendezvous } from "../../rendezvous/server.ts";
import type { Command, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import { aborted } from "../signals.ts";
import { parseFlags } from "../parse.ts";

/** `tincan rendezvous --help`. */
export const RENDEZVOUS_HELP =
  `Usage: tincan rendezvous [--listen MULTIADDR]... [--data DIR] [--name NAME]

Runs a rendezvous node: accounts (OPAQUE), presence, the libp2p rendezvous protocol
and the key directory. When ready, prints each listen address (with /p2p/<PeerId>)
on its own line on stdout; logs go to stderr. Stop it with Ctrl-C.

Options:
  --listen MULTIADDR  address to listen on; repeatable (default /ip4/0.0.0.0/tcp/4001)
  --data DIR          where the node key and database live (default ./tincan-rendezvous)
  --name NAME         this rendezvous's name, shown to users (default: the data dir's name)
  -h, --help          show this help`;

/** Parsed `tincan rendezvous` arguments. */
export type RendezvousArgs = Parsed<RendezvousOptions>;

/** Where the rendezvous listens and keeps its data, and its name. */
export interface RendezvousOptions {
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
  return { help: false, listen, dataDir, name };
}

/** `tincan rendezvous`: runs the rendezvous until SIGINT or SIGTERM. */
export const rendezvous: Command<RendezvousOptions> = {
  name: "rendezvous",
  summary: "run a rendezvous node (accounts, presence, directory)",
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
    });
    for (const address of node.multiaddrs()) io.out(address);
    await aborted(signal);
    io.err("tincan: stopping the rendezvous");
    await node.stop();
    return EXIT.ok;
  },
};
