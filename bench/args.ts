/** Command-line options of `deno task bench`: a pure parser, so the bench's `main` only wires. */
import { parseArgs } from "node:util";
import { UsageError } from "../src/errors.ts";

/** What one bench run measures. */
export interface BenchOptions {
  /** Logged-in peers connected for the memory measurement. */
  readonly peers: number;
  /** Length of each timed throughput measurement, in seconds. */
  readonly seconds: number;
  readonly help: boolean;
}

/** Help text of `deno task bench`. */
export const BENCH_USAGE = `Usage: deno task bench [--peers N] [--seconds S]

  --peers N     logged-in peers for the rendezvous memory measurement (default 1000)
  --seconds S   length of each timed throughput measurement (default 3)
  -h, --help    this text`;

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
        peers: { type: "string", default: "1000" },
        seconds: { type: "string", default: "3" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err: unknown) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  return {
    peers: positiveInteger("--peers", parsed.values.peers),
    seconds: positiveNumber("--seconds", parsed.values.seconds),
    help: parsed.values.help,
  };
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
