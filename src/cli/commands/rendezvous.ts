/** `tincan rendezvous`: run a rendezvous node until interrupted. */
import { UsageError } from "../../errors.ts";
import { parseMultiaddr } from "../../net/address.ts";
import { startRendezvous } from "../../rendezvous/server.ts";
import { type CliIO, EXIT } from "../io.ts";
import { parseFlags } from "../parse.ts";

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
export interface RendezvousArgs {
  readonly help: boolean;
  readonly listen: string[];
  readonly dataDir: string;
  readonly name: string;
}

export const DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";
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
  return { help: values.help ?? false, listen, dataDir, name };
}

/** Runs the rendezvous until SIGINT or SIGTERM; returns the exit code. */
export async function runRendezvous(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseRendezvousArgs(args);
  if (parsed.help) {
    io.out(RENDEZVOUS_HELP);
    return EXIT.ok;
  }
  const rendezvous = await startRendezvous({
    dataDir: parsed.dataDir,
    listen: parsed.listen,
    name: parsed.name,
  });
  // Listen for the signals before printing the addresses: whoever reads them may stop us at once.
  const stopped = new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGINT", resolve);
    Deno.addSignalListener("SIGTERM", resolve);
  });
  for (const address of rendezvous.multiaddrs()) io.out(address);
  await stopped;
  io.err("tincan: stopping the rendezvous");
  await rendezvous.stop();
  return EXIT.ok;
}
