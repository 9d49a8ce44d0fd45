/** The command table: which function runs each `tincan <command>`, and the top-level help. */
import { VERSION } from "../version.ts";
import { runChat } from "./commands/chat.ts";
import { type CliIO, EXIT, reportError } from "./io.ts";
import { runListen } from "./commands/listen.ts";
import { runRegister } from "./commands/register.ts";
import { runRendezvous } from "./commands/rendezvous.ts";
import { runSend } from "./commands/send.ts";
import { runSendFile } from "./commands/send_file.ts";
import { runWhoami } from "./commands/whoami.ts";
import { runAdmin } from "./commands/admin.ts";

/** A subcommand: a one-line summary and its entry point. */
interface Command {
  readonly summary: string;
  readonly run: (args: readonly string[], io: CliIO) => Promise<number>;
}

/** Every `tincan` subcommand, by name. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  rendezvous: {
    summary: "run a rendezvous node (accounts, presence, directory)",
    run: runRendezvous,
  },
  register: { summary: "create your account at a rendezvous", run: runRegister },
  whoami: { summary: "show your PeerId and identity fingerprint (offline)", run: runWhoami },
  chat: { summary: "interactive chat (registers on first use)", run: runChat },
  send: { summary: "send one message and wait until it is delivered", run: runSend },
  "send-file": {
    summary: "offer a file and wait until the recipient has it",
    run: runSendFile,
  },
  listen: { summary: "print incoming messages (--json for scripts)", run: runListen },
  admin: { summary: "disable, enable, delete accounts; users; key logs (operator)", run: runAdmin },
};

/** The top-level help: the commands and their summaries. */
export const HELP = `tincan ${VERSION} — peer-to-peer, end-to-end encrypted chat

Usage: tincan <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`).join("\n")}

Run \`tincan <command> --help\` for a command's options.`;

/** Runs `tincan` with `args`; returns the exit code. */
export async function dispatch(args: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-V") {
    io.out(`tincan ${VERSION}`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`tincan: unknown command "${name}"`);
    io.err("Run `tincan --help` for the list of commands.");
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (err: unknown) {
    return reportError(err, io, `Run \`tincan ${name} --help\` for usage.`);
  }
}
