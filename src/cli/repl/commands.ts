/**
 * The chat REPL's core commands — /help, /list, /msg, /to, /history, /quit — as registry
 * entries: each parses its words purely (bad input becomes a one-line usage hint, never an
 * exception) and runs on the peer. The trust commands (/verify, /trust …) are in
 * trust_commands.ts.
 */
import { UsageError } from "../../errors.ts";
import { checkRoomName, RoomError } from "../../peer/rooms/rooms.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { checkText } from "../peer_args.ts";
import { formatHistoryLine } from "./format.ts";
import {
  defineEntry,
  type EntrySpec,
  type ReplContext,
  type ReplEntry,
  type ReplInput,
  type ReplRuntime,
  type ReplUsage,
} from "./registry.ts";
import { formatRoomHistoryLine } from "./room_commands.ts";

/** What one core command line asks for. */
export type ReplCommand =
  | { readonly kind: "help" }
  | { readonly kind: "list" }
  | { readonly kind: "send"; readonly to: string; readonly text: string }
  | { readonly kind: "to"; readonly user: string }
  | {
    readonly kind: "history";
    /** Whose direct messages (everyone's when neither this nor `room` is given). */
    readonly user?: string;
    /** The room whose messages. */
    readonly room?: string;
    readonly limit: number;
  }
  | { readonly kind: "quit" };

/** Lines /history shows by default. */
export const HISTORY_DEFAULT = 20;
/** Lines /history shows at most. */
export const HISTORY_MAX = 1000;

type Parsed = ReplCommand | ReplUsage | undefined;

/** A core entry: its parser, run by `runCore`. */
function core(
  name: string,
  aliases: readonly string[],
  usage: string,
  summary: string,
  parse: EntrySpec<ReplCommand>["parse"],
): ReplEntry<ReplCommand> {
  return defineEntry({ name, aliases, usage, summary, parse, run: runCore });
}

/** A command without arguments. */
const bare =
  (kind: "help" | "list" | "quit") =>
  ({ args }: ReplInput, _: ReplContext, usage: () => ReplUsage) =>
    args.length === 0 ? { kind } : usage();

/** The core commands, in /help order. */
export const CORE_COMMANDS: readonly ReplEntry<ReplCommand>[] = [
  core("help", ["?"], "/help", "this list", bare("help")),
  core("list", ["who"], "/list", "who is online", bare("list")),
  core("msg", ["whisper"], "/msg <user> <text>", "send one message", (input, ctx, usage) => {
    const [user, ...words] = input.args;
    if (user?.startsWith("#")) return undefined; // a room: room_commands.ts
    if (user === undefined || words.length === 0) return usage();
    return withUser(user, ctx, usage, (to) => {
      try {
        return { kind: "send", to, text: checkText("msg", input.rest(2)) };
      } catch (err: unknown) {
        if (err instanceof UsageError) return { kind: "usage", message: err.message };
        throw err;
      }
    });
  }),
  core("to", [], "/to <user>", "send what you type next to <user>", ({ args }, ctx, usage) => {
    if (args[0]?.startsWith("#")) return undefined; // a room: room_commands.ts
    if (args.length !== 1) return usage();
    return withUser(args[0]!, ctx, usage, (user) => ({ kind: "to", user }));
  }),
  core(
    "history",
    [],
    "/history [user|#room] [n]",
    `the last n messages (default ${HISTORY_DEFAULT})`,
    ({ args }, _ctx, usage) => history(args, usage),
  ),
  core("quit", ["exit"], "/quit", "log out and exit (also Ctrl-C, Ctrl-D)", bare("quit")),
];

/** Runs `then` with the normalized username `input`, or gives a usage hint (invalid, or us). */
export function withUser<P>(
  input: string,
  ctx: ReplContext,
  usage: (why?: string) => ReplUsage,
  then: (user: string) => P,
): P | ReplUsage {
  let user: string;
  try {
    user = normalizeUsername(input);
  } catch (err: unknown) {
    return usage((err as Error).message);
  }
  if (user === ctx.self) return usage("That is you");
  return then(user);
}

function history(args: readonly string[], usage: (why?: string) => ReplUsage): Parsed {
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
      return usage((err as Error).message);
    }
  }
  if (rest.length > 0) {
    const raw = rest.shift()!;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > HISTORY_MAX) {
      return usage(`n must be a whole number from 1 to ${HISTORY_MAX}`);
    }
    limit = n;
  }
  if (rest.length > 0) return usage();
  return { kind: "history", ...who, limit };
}

/**
 * Runs a core command on the REPL's peer.
 * @throws the peer's errors (no such contact …); the REPL prints them.
 */
async function runCore(command: ReplCommand, repl: ReplRuntime): Promise<void> {
  const { peer, style: s } = repl;
  switch (command.kind) {
    case "help":
      return repl.print(repl.help().join("\n"));
    case "list": {
      const online = peer.online();
      return repl.print(online.length ? `Online: ${online.join(", ")}` : "Nobody else is online.");
    }
    case "send":
      await peer.send(command.to, command.text);
      return; // a queued event says when it went to the mailbox of someone offline
    case "to":
      repl.setTarget(command.user);
      return repl.print(`Now talking to ${command.user}: plain text goes to ${command.user}.`);
    case "history": {
      const { room } = command;
      let lines: string[];
      if (room === undefined) {
        lines = (await peer.history(command.user, command.limit)).map((l) =>
          formatHistoryLine(l, peer.username, s)
        );
      } else {
        if (repl.rooms === undefined) throw new RoomError("Rooms are not available here");
        lines = (await repl.rooms.history(room, command.limit)).map((l) =>
          formatRoomHistoryLine(room, l, s)
        );
      }
      return repl.print(lines.length === 0 ? "No messages yet." : lines.join("\n"));
    }
    case "quit":
      return repl.quit();
  }
}
