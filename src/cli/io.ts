/**
 * The CLI's edge: where output goes and input comes from (tests pass their own), and the one
 * place that turns errors into messages and exit codes.
 */
// deno-lint-ignore-file no-console
import { RemoteError, UsageError } from "../errors.ts";
import { describeError } from "./explain_error.ts";
import type { Env } from "./peer_args.ts";

/** The terminal input a command may read (the password prompt): Deno.stdin, or a stub. */
export interface CliInput {
  /** Whether it is a terminal (a prompt can be shown and echo turned off). */
  isTerminal(): boolean;
  /** Turns raw mode (no echo, no line editing) on or off; only on a terminal. */
  setRaw(raw: boolean): void;
  /** Reads into `buffer`; the number of bytes read, or null at the end of input. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** Raw text output to stderr: prompts and progress bars, redrawn in place. */
export interface CliTerminalOutput {
  /** Whether it is a terminal (progress bars are drawn only there). */
  isTerminal(): boolean;
  /** Writes `text` as it is (no newline added). */
  write(text: string): void;
}

/** Where a command reads and writes; tests pass their own. */
export interface CliIO {
  /** Prints one line on stdout. */
  out(line: string): void;
  /** Prints one line on stderr. */
  err(line: string): void;
  readonly stdin: CliInput;
  /** stderr as raw text, for prompts and progress bars. */
  readonly errStream: CliTerminalOutput;
}

const encoder = new TextEncoder();

/** The process's stdin, stdout and stderr. */
export const consoleIO: CliIO = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  stdin: {
    isTerminal: () => Deno.stdin.isTerminal(),
    setRaw: (raw) => Deno.stdin.setRaw(raw),
    read: (buffer) => Deno.stdin.read(buffer),
  },
  errStream: {
    isTerminal: () => Deno.stderr.isTerminal(),
    write: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
  },
};

/** Exit codes: 0 success, 1 failure, 2 bad usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Prints `err` as one clear line (plus `helpHint` for usage errors, the stack with TINCAN_DEBUG
 * set): a library's raw message becomes a sentence, followed by the raw one with `verbose`.
 * Returns the exit code.
 */
export function reportError(
  err: unknown,
  io: CliIO,
  env: Env,
  helpHint: string,
  verbose = false,
): number {
  if (err instanceof UsageError) {
    io.err(`tincan: ${err.message}`);
    io.err(helpHint);
    return EXIT.usage;
  }
  if (err instanceof RemoteError) {
    io.err(`tincan: ${describeError(localRetryTime(err.message, err.retryAfterMs), verbose)}`);
    return EXIT.failure;
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    io.err(`tincan: permission denied: ${err.message}`);
    return EXIT.failure;
  }
  if (err instanceof Error) {
    io.err(`tincan: ${describeError(err, verbose)}`);
    if (env("TINCAN_DEBUG") || verbose) io.err(err.stack ?? "");
    return EXIT.failure;
  }
  io.err(`tincan: ${String(err)}`);
  return EXIT.failure;
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * `message` with the rendezvous's UTC retry time ("retry after 2025-06-03T10:00:00.000Z") shown
 * in local time, computed from `retryAfterMs` (the server's wait) and `now`; unchanged without.
 */
export function localRetryTime(
  message: string,
  retryAfterMs: number | undefined,
  now = Date.now(),
): string {
  if (retryAfterMs === undefined) return message;
  const at = new Date(now + retryAfterMs);
  const local = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  return message.replace(/retry after \S+Z\b/, `retry after ${local} (local time)`);
}
