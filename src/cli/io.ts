/**
 * The CLI's edge: where output goes, and the one place that turns errors into messages and exit
 * codes.
 */
// deno-lint-ignore-file no-console
import { RemoteError, UsageError } from "../errors.ts";

/** Output streams of a command; tests pass their own. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

/** stdout and stderr. */
export const consoleIO: CliIO = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Exit codes: 0 success, 1 failure, 2 bad usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Prints `err` as one clear line (plus a hint for usage errors) and returns the exit code. */
export function reportError(err: unknown, io: CliIO, helpHint: string): number {
  if (err instanceof UsageError) {
    io.err(`tincan: ${err.message}`);
    io.err(helpHint);
    return EXIT.usage;
  }
  if (err instanceof RemoteError) {
    io.err(`tincan: ${err.message}`);
    return EXIT.failure;
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    io.err(`tincan: permission denied: ${err.message}`);
    return EXIT.failure;
  }
  if (err instanceof Error) {
    io.err(`tincan: ${err.message}`);
    if (Deno.env.get("TINCAN_DEBUG")) io.err(err.stack ?? "");
    return EXIT.failure;
  }
  io.err(`tincan: ${String(err)}`);
  return EXIT.failure;
}
