/**
 * The chat REPL's input language, parsed purely: a line is a /command or text for the current
 * recipient. Bad input becomes a one-line usage hint, never an exception.
 */
import { UsageError } from "../../errors.ts";
import { checkRoomName } from "../../peer/rooms/rooms.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { checkText } from "../peer_args.ts";
import { FILE_HELP } from "./file_commands.ts";
import { ROOM_HELP } from "./room_commands.ts";

/** What one input line asks for. */
export type ReplCommand =
  | { readonly kind: "none" }
  | { readonly kind: "help" }
  | { readonly kind: "list" }
  | { readonly kind: "send"; readonly to: string; readonly text: string }
  | { readonly kind: "to"; readonly user: string }
  | { readonly kind: "verify"; readonly user: string; readonly confirm: boolean }
  | { readonly kind: "trust"; readonly user: string }
  | {
    readonly kind: "history";
    /** Whose direct messages (everyone's when neither this nor `room` is given). */
    readonly user?: string;
    /** The room whose messages. */
    readonly room?: string;
    readonly limit: number;
  }
  | { readonly kind: "quit" }
  | { readonly kind: "usage"; readonly message: string };

/** What the parser needs to know: who we are and who plain text goes to. */
export interface ReplContext {
  readonly self: string;
  readonly target?: string | undefined;
}

/** Lines /history shows by default. */
export const HISTORY_DEFAULT = 20;
/** Lines /history shows at most. */
export const HISTORY_MAX = 1000;

/** Usage of each command, as shown by /help and in hints. */
export const USAGE = {
  help: "/help                     this list",
  list: "/list                     who is online",
  msg: "/msg <user> <text>        send one message (also /whisper)",
  to: "/to <user>                send what you type next to <user>",
  verify: "/verify <user> [yes]      show the safety number; `yes` marks <user> verified",
  trust: "/trust <user>             accept <user>'s new identity key, release held messages",
  history: `/history [user|#room] [n] the last n messages (default ${HISTORY_DEFAULT})`,
  quit: "/quit                     log out and exit (also Ctrl-C, Ctrl-D)",
} as const;

/** The /help text. */
export const REPL_HELP = [
  "Commands:",
  ...Object.values(USAGE).map((u) => `  ${u}`),
  ...ROOM_HELP,
  ...FILE_HELP,
  "Anything else is sent to the user chosen with /to (start with // to send a leading /).",
];

const ALIASES: Readonly<Record<string, keyof typeof USAGE>> = {
  help: "help",
  "?": "help",
  list: "list",
  who: "list",
  msg: "msg",
  whisper: "msg",
  to: "to",
  verify: "verify",
  trust: "trust",
  history: "history",
  quit: "quit",
  exit: "quit",
};

const usage = (name: keyof typeof USAGE, why?: string): ReplCommand => ({
  kind: "usage",
  message: `${why ? `${why}. ` : ""}Usage: ${USAGE[name].replace(/\s{2,}.*$/, "")}`,
});

/** Parses one input line. */
export function parseReplLine(line: string, ctx: ReplContext): ReplCommand {
  const trimmed = line.trim();
  if (trimmed === "") return { kind: "none" };
  if (trimmed.startsWith("//")) return plainText(line.trimStart().slice(1), ctx);
  if (!trimmed.startsWith("/")) return plainText(line, ctx);
  const [word = "", ...args] = trimmed.slice(1).split(/\s+/);
  const name = ALIASES[word.toLowerCase()];
  if (name === undefined) {
    return { kind: "usage", message: `Unknown command /${word}. Type /help for the commands.` };
  }
  switch (name) {
    case "help":
    case "list":
    case "quit":
      return args.length === 0 ? { kind: name } : usage(name);
    case "msg": {
      const [user, ...words] = args;
      if (user === undefined || words.length === 0) return usage(name);
      return message(user, afterWords(trimmed, 2), ctx, name);
    }
    case "to":
      if (args.length !== 1) return usage(name);
      return withUser(args[0]!, ctx, name, (user) => ({ kind: "to", user }));
    case "verify": {
      const [user, confirm, ...rest] = args;
      if (user === undefined || rest.length > 0) return usage(name);
      if (confirm !== undefined && confirm.toLowerCase() !== "yes") return usage(name);
      return withUser(user, ctx, name, (u) => ({ kind: "verify", user: u, confirm: !!confirm }));
    }
    case "trust":
      if (args.length !== 1) return usage(name);
      return withUser(args[0]!, ctx, name, (user) => ({ kind: "trust", user }));
    case "history":
      return history(args);
  }
}

function plainText(text: string, ctx: ReplContext): ReplCommand {
  if (ctx.target === undefined) {
    return {
      kind: "usage",
      message: "No recipient: choose one with /to <user>, or use /msg <user> <text>.",
    };
  }
  return message(ctx.target, text, ctx, "msg");
}

function message(
  user: string,
  text: string,
  ctx: ReplContext,
  name: keyof typeof USAGE,
): ReplCommand {
  return withUser(user, ctx, name, (to) => {
    try {
      return { kind: "send", to, text: checkText("msg", text) };
    } catch (err: unknown) {
      if (err instanceof UsageError) return { kind: "usage", message: err.message };
      throw err;
    }
  });
}

function withUser(
  input: string,
  ctx: ReplContext,
  name: keyof typeof USAGE,
  then: (user: string) => ReplCommand,
): ReplCommand {
  let user: string;
  try {
    user = normalizeUsername(input);
  } catch (err: unknown) {
    return usage(name, (err as Error).message);
  }
  if (user === ctx.self) return usage(name, "That is you");
  return then(user);
}

function history(args: string[]): ReplCommand {
  let who: { user: string } | { room: string } | undefined;
  let limit = HISTORY_DEFAULT;
  const rest = [...args];
  if (rest.length > 0 && !/^\d+$/.test(rest[0]!)) {
    const name = rest.shift()!;
    try {
      who = name.startsWith("#")
        ? { room: checkRoomName(name) }
        : { user: normalizeUsername(name) };
    } catch (err: unknown) {
      return usage("history", (err as Error).message);
    }
  }
  if (rest.length > 0) {
    const raw = rest.shift()!;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > HISTORY_MAX) {
      return usage("history", `n must be a whole number from 1 to ${HISTORY_MAX}`);
    }
    limit = n;
  }
  if (rest.length > 0) return usage("history");
  return { kind: "history", ...who, limit };
}

/** `line` without its first `n` whitespace-separated words (keeps the text's own spacing). */
function afterWords(line: string, n: number): string {
  let rest = line;
  for (let i = 0; i < n; i++) rest = rest.replace(/^\s*\S+/, "");
  return rest.replace(/^\s/, "");
}
