/** Command-line options of `deno task bench`: a pure parser, so the bench's `main` only wires. */
import { parseArgs } from "node:util";
import { UsageError } from "../src/errors.ts";

/** The sections of a bench run, in the order they run. */
export const SECTIONS = [
  "raw",
  "logins",
  "discover",
  "memory",
  "scale",
  "messages",
  "rooms",
  "mailbox",
  "files",
  "primitives",
  "startup",
  "pqxdh",
  "relay",
  "paste",
  "federation",
] as const;
/** One section of a bench run. */
export type SectionName = typeof SECTIONS[number];

/** What one bench run measures. */
export interface BenchOptions {
  /** The sections to run; undefined for all of them. */
  readonly only: ReadonlySet<SectionName> | undefined;
  /** Messages alice sends back to back in the pipelined message measurement. */
  readonly messages: number;
  /** Logged-in peers connected for the memory and scale measurements. */
  readonly peers: number;
  /** Client processes the scale measurement spreads its peers over. */
  readonly processes: number;
  /** Length of each timed throughput measurement, in seconds. */
  readonly seconds: number;
  /** The servers' keep-alive ping interval in the scale measurement, in seconds. */
  readonly pingSeconds: number;
  readonly help: boolean;
}

/** Help text of `deno task bench`. */
export const BENCH_USAGE =
  `Usage: deno task bench [--only SECTIONS] [--peers N] [--processes K] [--seconds S] [--messages M]
                        [--ping-seconds P]

  --only SECTIONS  comma-separated sections to run (default all): ${SECTIONS.join(", ")}
  --peers N        logged-in peers for the rendezvous memory and scale measurements (default 1000)
  --processes K    client processes the scale measurement spreads its peers over (default 4)
  --seconds S      length of each timed throughput measurement (default 3)
  --messages M     messages sent back to back in the pipelined chat measurement (default 2000)
  --ping-seconds P the servers' keep-alive ping interval in the scale measurement (default 60;
                   at 10,000 peers on a loaded machine libp2p's ping burst drops connections)
  -h, --help       this text`;

/**
 * Parses the bench's arguments.
 * @throws UsageError for an unknown flag or a value that is not a positive number.
 */
export function parseBenchArgs(args: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        only: { type: "string" },
        peers: { type: "string", default: "1000" },
        processes: { type: "string", default: "4" },
        messages: { type: "string", default: "2000" },
        seconds: { type: "string", default: "3" },
        "ping-seconds": { type: "string", default: "60" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err: unknown) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  return {
    only: parsed.values.only === undefined ? undefined : sectionNames(parsed.values.only),
    messages: positiveInteger("--messages", parsed.values.messages),
    peers: positiveInteger("--peers", parsed.values.peers),
    processes: positiveInteger("--processes", parsed.values.processes),
    seconds: positiveNumber("--seconds", parsed.values.seconds),
    pingSeconds: positiveNumber("--ping-seconds", parsed.values["ping-seconds"]),
    help: parsed.values.help,
  };
}

function sectionNames(text: string): Set<SectionName> {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  if (names.length === 0) throw new UsageError("--only needs at least one section");
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new UsageError(
        `--only: unknown section "${name}"; the sections are ${SECTIONS.join(", ")}`,
      );
    }
  }
  return new Set(names as SectionName[]);
}

function positiveInteger(flag: string, text: string): number {
  const value = positiveNumber(flag, text);
  if (!Number.isInteger(value)) throw new UsageError(`${flag} must be a whole number, not ${text}`);
  return value;
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${flag} must be a positive number, not "${text}"`);
  }
  return value;
}
