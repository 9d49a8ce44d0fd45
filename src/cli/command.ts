/**
 * A `tincan` subcommand as data: its name, help text, a pure parser and a runner. The dispatcher
 * (dispatch.ts) does what every command shares — env, parsing, `--help`, logging, signals, and
 * turning errors into output and exit codes — so a command is one entry in its table.
 */
import type { LogFormat, LogLevel } from "../log.ts";
import type { CliIO } from "./io.ts";
import type { Env } from "./peer_args.ts";

/** What a parser returns for `--help`: the dispatcher prints the command's help. */
export interface HelpRequest {
  readonly help: true;
}

/** A parser's result: a help request, or the command's arguments. */
export type Parsed<A> = HelpRequest | (A & { readonly help: false });

/** What a running command gets from the dispatcher. */
export interface CommandContext {
  readonly io: CliIO;
  readonly env: Env;
  /**
   * Aborted on the first SIGINT or SIGTERM when the command has `catchSignals` (it then stops
   * cleanly); never aborted otherwise.
   */
  readonly signal: AbortSignal;
  /** The log level set for this run (chat routes log lines through its REPL at this level). */
  readonly logLevel: LogLevel;
  /** --verbose: errors shown keep the library's own message after the explanation. */
  readonly verbose: boolean;
}

/** One `tincan <name>` subcommand. */
export interface Command<A = unknown> {
  readonly name: string;
  /** One line for `tincan --help`. */
  readonly summary: string;
  /** The text of `tincan <name> --help`. */
  readonly help: string;
  /** The log level without TINCAN_DEBUG (which means "debug"); default "error". */
  readonly logLevel?: LogLevel;
  /**
   * The log level and format the parsed arguments ask for (the rendezvous' --log-level and
   * --log-format); when present it stands for `logLevel` (TINCAN_DEBUG still means "debug").
   */
  logging?(args: A): { readonly level: LogLevel; readonly format: LogFormat };
  /** Whether SIGINT/SIGTERM abort `context.signal` instead of ending the process at once. */
  readonly catchSignals?: boolean;
  /**
   * Parses the arguments after the command's name: pure.
   * @throws UsageError when they are wrong.
   */
  parse(args: readonly string[], env: Env): Parsed<A>;
  /** Runs the command with its parsed arguments; returns the exit code (errors are thrown). */
  run(args: A, context: CommandContext): Promise<number>;
}
