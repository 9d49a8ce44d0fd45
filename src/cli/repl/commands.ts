/**
 * The chat REPL's core commands — /help, /msg, /me, /to, /w, /history, /mute, /clear,
 * /quit — as registry entries: each parses its words purely (bad input becomes a one-line usage
 * hint, never an exception) and runs on the peer. The trust commands (/verify, /trust …) are in
 * trust_commands.ts.
 */
import { UsageError } from "../../errors.ts";
import { checkRoomName, RoomError } from "../../peer/rooms/rooms.ts";
import { canonicalName } from "../../peer/names.ts";
import { checkText } from "../peer_args.ts";
import { formatHistoryLine } from "./format.ts";
import {
  type ArgKind,
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
  | { readonly kind: "send"; readonly to: string; readonly text: string }
  | { readonly kind: "me"; readonly text: string }
  | { readonly kind: "to"; readonly user: string }
  | { readonly kind: "window"; readonly number?: number }
  | { readonly kind: "mute"; readonly target?: string }
  | { readonly kind: "clear" }
  | {
    readonly kind: "history";
    /**
     * Whose direct messages; when neither this nor `room` is given, the current conversation's
     * (everyone's when there is none).
     */
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
/** What a /me message starts with on the wire (shown as "* alice waves"). */
export const ME_PREFIX = "/me ";

type Parsed = ReplCommand | ReplUsage | undefined;

/** A core entry: its parser, run by `runCore`. */
function core(
  name: string,
  aliases: readonly string[],
  usage: string,
  summary: string,
  parse: EntrySpec<ReplCommand>["parse"],
  args: readonly ArgKind[] = [],
): ReplEntry<ReplCommand> {
  return defineEntry({ name, aliases, usage, summary, args, parse, run: runCore });
}

/** A command without arguments. */
const bare =
  (kind: "help" | "quit" | "clear") =>
  ({ args }: ReplInput, _: ReplContext, usage: () => ReplUsage) =>
    args.length === 0 ? { kind } : usage();

/** The core commands, in /help order. */
export const CORE_COMMANDS: readonly ReplEntry<ReplCommand>[] = [
  core("help", ["?"], "/help", "this list", bare("help")),
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
  }, ["user"]),
  core(
    "me",
    [],
    "/me <action>",
    "say what you do (shown as * you <action>)",
    (input, ctx, usage) => {
      if (input.args.length === 0) return usage();
      if (ctx.target === undefined) {
        return usage("No conversation: choose one with /to <user> or /to #room first");
      }
      return { kind: "me", text: input.rest(1) };
    },
  ),
  core("to", [], "/to <user>", "send what you type next to <user>", ({ args }, ctx, usage) => {
    if (args[0]?.startsWith("#")) return undefined; // a room: room_commands.ts
    if (args.length !== 1) return usage();
    return withUser(args[0]!, ctx, usage, (user) => ({ kind: "to", user }));
  }, ["target"]),
  core(
    "w",
    ["window"],
    "/w [n]",
    "switch to conversation n (also Alt-1…9); without n, list them",
    ({ args }, _ctx, usage) => {
      if (args.length === 0) return { kind: "window" };
      const n = Number(args[0]);
      if (args.length > 1 || !/^\d+$/.test(args[0]!) || n < 1) {
        return usage("N must be a conversation number that /w lists");
      }
      return { kind: "window", number: n };
    },
  ),
  core(
    "history",
    [],
    "/history [user|#room] [n]",
    `the last n messages (default ${HISTORY_DEFAULT}) of the current conversation or the one named`,
    ({ args }, ctx, usage) => history(args, ctx, usage),
    ["target"],
  ),
  core(
    "mute",
    [],
    "/mute [user|#room]",
    "no bell or notification for a conversation (again: unmute)",
    ({ args }, ctx, usage) => {
      if (args.length > 1) return usage();
      const name = args[0] ?? ctx.target;
      if (name === undefined) return usage("No conversation to mute");
      if (name.startsWith("#")) {
        try {
          return { kind: "mute", target: checkRoomName(name) };
        } catch (err: unknown) {
          return usage((err as Error).message);
        }
      }
      return withUser(name, ctx, usage, (user) => ({ kind: "mute", target: user }));
    },
    ["target"],
  ),
  core("clear", [], "/clear", "clear the screen", bare("clear")),
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
    user = canonicalName(input, ctx.home);
  } catch (err: unknown) {
    return usage((err as Error).message);
  }
  if (user === ctx.self) return usage("That is you");
  return then(user);
}

function history(
  args: readonly string[],
  ctx: ReplContext,
  usage: (why?: string) => ReplUsage,
): Parsed {
  let who: { user: string } | { room: string } | undefined;
  let limit = HISTORY_DEFAULT;
  const rest = [...args];
  if (rest.length > 0 && !/^\d+$/.test(rest[0]!)) {
    const name = rest.shift()!;
    try {
      who = name.startsWith("#")
        ? { room: checkRoomName(name) }
        : { user: canonicalName(name, ctx.home) };
    } catch (err: unknown) {
      return usage((err as Error).message);
    }
  }
  if (rest.length > 0) {
    const raw = rest.shift()!;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > HISTORY_MAX) {
      return usage(`N must be a whole number from 1 to ${HISTORY_MAX}`);
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
    case "send":
      return await sendTo(repl, command.to, command.text);
    case "me": {
      const to = repl.target!;
      const text = `${ME_PREFIX}${command.text}`;
      if (!to.startsWith("#")) return await sendTo(repl, to, text);
      if (repl.rooms === undefined) throw new RoomError("Rooms are not available here");
      const rooms = repl.rooms;
      repl.sending();
      const ids = await rooms.send(to, text).catch((err: unknown) => {
        repl.sendFailed();
        throw err;
      });
      return repl.sent(to, text, ids);
    }
    case "to": {
      repl.setTarget(command.user);
      const known = repl.knows(command.user);
      return repl.print(
        `Now talking to ${command.user}: plain text goes to ${command.user}.` +
          (known ? "" : ` (${command.user} is not online and not among your conversations: ` +
            "if there is no such user, your messages fail.)"),
      );
    }
    case "window": {
      const names = repl.windows();
      if (command.number === undefined) {
        if (names.length === 0) return repl.print("No conversations yet. /to <user> to start one.");
        return repl.print(names.map((n, i) => `  ${i + 1} ${n}`).join("\n"));
      }
      const name = names[command.number - 1];
      if (name === undefined) {
        return repl.print(s.yellow(`There is no conversation ${command.number}; /w lists them.`));
      }
      repl.setTarget(name);
      return;
    }
    case "mute": {
      const muted = repl.toggleMute(command.target!);
      return repl.print(
        muted
          ? `Muted ${command.target}: no bell or notification (unread messages are still counted).`
          : `Unmuted ${command.target}.`,
      );
    }
    case "clear":
      return repl.clear();
    case "history": {
      const current = command.user ?? command.room ?? repl.target;
      const room = current?.startsWith("#") ? current : undefined;
      const user = room === undefined ? current : undefined;
      let lines: string[];
      if (room === undefined) {
        lines = (await peer.history(user, command.limit)).map((l) =>
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

/**
 * Sends `text` to `user` and tells the REPL (which shows your line and its receipts).
 * @throws the peer's errors.
 */
async function sendTo(repl: ReplRuntime, user: string, text: string): Promise<void> {
  // Follow whom we write to (a contact from now on): "bob is online" comes before our line.
  await repl.peer.follow([user]).catch(() => {});
  repl.sending();
  let id: string;
  try {
    id = await repl.peer.send(user, text);
  } catch (err: unknown) {
    repl.sendFailed();
    throw err;
  }
  repl.sent(user, text, [id]);
}
