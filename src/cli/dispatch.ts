/**
 * The command table and the one dispatcher: `tincan <command> [args]` finds the command, parses
 * its arguments (printing its help for --help), sets up logging and, where the command wants it,
 * signal handling, runs it, and turns what it throws into a message and an exit code.
 */
import { configureLogging } from "../log.ts";
import { VERSION } from "../version.ts";
import type { Command } from "./command.ts";
import { admin } from "./commands/admin.ts";
import { chat } from "./commands/chat.ts";
import { listen } from "./commands/listen.ts";
import { register } from "./commands/register.ts";
import { rendezvous } from "./commands/rendezvous.ts";
import { route } from "./commands/route.ts";
import { send } from "./commands/send.ts";
import { sendFile } from "./commands/send_file.ts";
import { version } from "./commands/version.ts";
import { whoami } from "./commands/whoami.ts";
import { type CliIO, EXIT, reportError } from "./io.ts";
import type { Env } from "./peer_args.ts";
import { abortOnSignals } from "./signals.ts";

/** Every `tincan` subcommand, in the order `tincan --help` lists them. */
export const COMMANDS: readonly Command[] = [
  rendezvous,
  register,
  whoami,
  chat,
  send,
  sendFile,
  listen,
  route,
  admin,
  version,
];

/** Top-level flags that stand for a command. */
const FLAG_COMMANDS: Readonly<Record<string, string>> = { "--version": "version", "-V": "version" };

/** The top-level help: the commands and their summaries. */
export const HELP = `tincan ${VERSION} — peer-to-peer, end-to-end encrypted chat

Usage: tincan <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)}${c.summary}`).join("\n")}

Every command also takes --verbose: errors keep the library's own words after the explanation.

Run \`tincan <command> --help\` (or \`tincan help <command>\`) for a command's options.`;

/**
 * Takes the common --verbose flag out of a command's arguments (before any `--`): pure.
 */
export function takeVerbose(args: readonly string[]): { args: string[]; verbose: boolean } {
  const end = args.indexOf("--");
  const head = end < 0 ? args : args.slice(0, end);
  const tail = end < 0 ? [] : args.slice(end);
  const kept = head.filter((arg) => arg !== "--verbose");
  return { args: [...kept, ...tail], verbose: kept.length !== head.length };
}

/** The command called `name`, if there is one. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/**
 * Runs `command` with `args`: parses them (printing its help for --help), sets the log level,
 * catches SIGINT/SIGTERM when the command wants to stop cleanly, and runs it.
 * @throws whatever parsing (UsageError) or the command throws.
 */
export async function runCommand(
  command: Command,
  args: readonly string[],
  io: CliIO,
  env: Env,
  verbose = false,
): Promise<number> {
  const parsed = command.parse(args, env);
  if (parsed.help) {
    io.out(command.help);
    return EXIT.ok;
  }
  const wanted = command.logging?.(parsed);
  const logLevel = env("TINCAN_DEBUG") ? "debug" : wanted?.level ?? command.logLevel ?? "error";
  configureLogging(logLevel, undefined, wanted?.format ?? "text");
  const signals = command.catchSignals ? abortOnSignals() : undefined;
  try {
    const signal = signals?.signal ?? new AbortController().signal;
    return await command.run(parsed, { io, env, signal, logLevel, verbose });
  } finally {
    signals?.dispose();
  }
}

/** Runs `tincan` with `args`, reading the environment with `env`; returns the exit code. */
export async function dispatch(args: readonly string[], io: CliIO, env: Env): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "--help" || first === "-h") {
    io.out(HELP);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  const name = FLAG_COMMANDS[first] ?? first;
  if (name === "help") {
    const about = rest[0] === undefined ? undefined : findCommand(rest[0]);
    if (rest.length > 1 || (rest[0] !== undefined && about === undefined)) {
      io.err(`tincan: help: unknown command "${rest.join(" ")}"`);
      io.err("Run `tincan --help` for the list of commands.");
      return EXIT.usage;
    }
    io.out(about?.help ?? HELP);
    return EXIT.ok;
  }
  const command = findCommand(name);
  if (command === undefined) {
    io.err(`tincan: unknown command "${name}"`);
    io.err("Run `tincan --help` for the list of commands.");
    return EXIT.usage;
  }
  const { args: commandArgs, verbose } = takeVerbose(rest);
  try {
    return await runCommand(command, commandArgs, io, env, verbose);
  } catch (err: unknown) {
    return reportError(err, io, env, `Run \`tincan ${name} --help\` for usage.`, verbose);
  }
}
