/**
 * The chat REPL's room commands as registry entries: parsing (pure), running them on a Rooms, and
 * showing room events. A room is the current conversation after `/to #room`: plain text then goes
 * to it (the registry passes it as `/msg #room <text>`).
 */
import {
  checkRoomName,
  checkRoomText,
  RoomError,
  type RoomEvent,
  type RoomHistoryLine,
  type Rooms,
} from "../../peer/rooms/rooms.ts";
import { normalizeName } from "../../peer/names.ts";
import { chatLine, clock, messageBody, sanitize, type Style, timestamp } from "./format.ts";
import {
  type ArgKind,
  defineEntry,
  type ReplEntry,
  type ReplInput,
  type ReplRuntime,
  type ReplUsage,
} from "./registry.ts";

/** What one room command line asks for. */
export type RoomCommand =
  | { readonly kind: "create"; readonly room: string }
  | { readonly kind: "invite"; readonly user: string; readonly room: string }
  | { readonly kind: "join"; readonly room: string }
  | { readonly kind: "leave"; readonly room: string }
  | { readonly kind: "kick"; readonly user: string; readonly room: string }
  | { readonly kind: "rooms" }
  | { readonly kind: "members"; readonly room: string }
  | { readonly kind: "broadcast"; readonly text: string }
  | { readonly kind: "to-room"; readonly room: string }
  | { readonly kind: "room-send"; readonly room: string; readonly text: string };

type Parsed = RoomCommand | ReplUsage | undefined;

/** A room entry: its parser, run by runRoomCommand on the REPL's rooms. */
function room(
  name: string,
  usage: string,
  summary: string,
  parse: (input: ReplInput, usage: (why?: string) => ReplUsage) => Parsed,
  args: readonly ArgKind[] = [],
): ReplEntry<RoomCommand> {
  return defineEntry({
    name,
    usage,
    summary,
    args,
    parse: (input, _ctx, hint) => parse(input, hint),
    run(command, repl) {
      if (repl.rooms === undefined) throw new RoomError("Rooms are not available here");
      return runRoomCommand(repl.rooms, command, repl);
    },
  });
}

/** `/<name> #room`. */
const oneRoom = (kind: "create" | "join" | "leave" | "members") =>
(
  { args }: ReplInput,
  usage: (why?: string) => ReplUsage,
): Parsed => args.length !== 1 ? usage() : withRoom(args[0]!, usage, (r) => ({ kind, room: r }));

/** `/<name> <user> #room`. */
const userAndRoom = (kind: "invite" | "kick") =>
(
  { args }: ReplInput,
  usage: (why?: string) => ReplUsage,
): Parsed => {
  if (args.length !== 2) return usage();
  let user: string;
  try {
    user = normalizeName(args[0]!);
  } catch (err: unknown) {
    return usage((err as Error).message);
  }
  return withRoom(args[1]!, usage, (r) => ({ kind, user, room: r }));
};

/** The room commands, in /help order. */
export const ROOM_COMMANDS: readonly ReplEntry<RoomCommand>[] = [
  room("create", "/create #room", "create a room (you are its admin)", oneRoom("create")),
  room(
    "invite",
    "/invite <user> #room",
    "add <user> to a room you administer",
    userAndRoom("invite"),
    ["user", "room"],
  ),
  room("join", "/join #room", "accept an invitation", oneRoom("join"), ["room"]),
  room(
    "leave",
    "/leave #room",
    "leave a room (or decline its invitation)",
    oneRoom("leave"),
    ["room"],
  ),
  room(
    "kick",
    "/kick <user> #room",
    "remove <user> from a room you administer",
    userAndRoom("kick"),
    ["user", "room"],
  ),
  room(
    "rooms",
    "/rooms",
    "your rooms and invitations",
    ({ args }, usage) => args.length === 0 ? { kind: "rooms" } : usage(),
  ),
  room("members", "/members #room", "who is in a room", oneRoom("members"), ["room"]),
  room(
    "broadcast",
    "/broadcast <text>",
    "send <text> to everyone online",
    (input, usage) =>
      input.args.length === 0
        ? usage()
        : withText(input.rest(1), (text) => ({ kind: "broadcast", text })),
  ),
  room("to", "/to #room", "send what you type next to the room", ({ args }, usage) => {
    if (args[0]?.startsWith("#") !== true) return undefined; // a user: commands.ts
    if (args.length !== 1) return usage();
    return withRoom(args[0], usage, (r) => ({ kind: "to-room", room: r }));
  }, ["target"]),
  room("msg", "/msg #room <text>", "send one message to the room", (input, usage) => {
    const [target] = input.args;
    if (target?.startsWith("#") !== true) return undefined; // a user: commands.ts
    return withRoom(
      target,
      usage,
      (r) => withText(input.rest(2), (text) => ({ kind: "room-send", room: r, text })),
    );
  }, ["target"]),
];

function withRoom(
  input: string,
  usage: (why?: string) => ReplUsage,
  then: (room: string) => Parsed,
): Parsed {
  try {
    return then(checkRoomName(input));
  } catch (err: unknown) {
    if (err instanceof RoomError) return usage(err.message);
    throw err;
  }
}

function withText(text: string, then: (text: string) => RoomCommand): RoomCommand | ReplUsage {
  try {
    checkRoomText(text);
  } catch (err: unknown) {
    if (err instanceof RoomError) return { kind: "usage", message: err.message };
    throw err;
  }
  return then(text);
}

/** What running a room command needs from the REPL. */
export type RoomReplIO = Pick<
  ReplRuntime,
  "print" | "setTarget" | "style" | "sending" | "sent" | "sendFailed" | "forget"
>;

/**
 * Runs a room command.
 * @throws RoomError (and the peer's errors) when it cannot be done; the REPL prints them.
 */
export async function runRoomCommand(
  rooms: Rooms,
  command: RoomCommand,
  io: RoomReplIO,
): Promise<void> {
  const s = io.style;
  switch (command.kind) {
    case "create":
      await rooms.create(command.room);
      return io.print(`Created ${command.room}. /invite <user> ${command.room} to add people.`);
    case "invite":
      await rooms.invite(command.user, command.room);
      return io.print(`Invited ${command.user} to ${command.room}.`);
    case "join":
      await rooms.join(command.room);
      io.setTarget(command.room);
      return io.print(`Joined ${command.room}: plain text now goes to ${command.room}.`);
    case "leave":
      await rooms.leave(command.room);
      io.forget(command.room);
      return io.print(`Left ${command.room}.`);
    case "kick":
      await rooms.kick(command.user, command.room);
      return io.print(`Removed ${command.user} from ${command.room}; the members change keys.`);
    case "rooms": {
      const all = rooms.rooms();
      if (all.length === 0) return io.print("No rooms yet. /create #room to start one.");
      return io.print(
        all.map((r) =>
          `  ${s.bold(r.name)} ${r.status}, ${r.members} member(s)${
            r.admin ? ", you are admin" : ""
          }`
        ).join("\n"),
      );
    }
    case "members": {
      const members = rooms.members(command.room);
      return io.print(
        `${command.room}: ` +
          members.map((m) =>
            `${m.username}${m.admin ? " (admin)" : ""}${m.joined ? "" : " (invited)"}`
          ).join(", "),
      );
    }
    case "broadcast": {
      const to = await rooms.broadcast(command.text);
      return io.print(
        to.length ? s.dim(`  broadcast to ${to.join(", ")}`) : "Nobody else is online.",
      );
    }
    case "to-room":
      rooms.members(command.room); // throws for an unknown room
      io.setTarget(command.room);
      return io.print(`Now talking in ${command.room}: plain text goes to the room.`);
    case "room-send": {
      io.sending();
      let ids: string[];
      try {
        ids = await rooms.send(command.room, command.text);
      } catch (err: unknown) {
        io.sendFailed();
        throw err;
      }
      return io.sent(command.room, command.text, ids);
    }
  }
}

/** One line of /history #room. */
export function formatRoomHistoryLine(room: string, line: RoomHistoryLine, s: Style): string {
  return `${s.dim(`[${timestamp(line.sentAt)}]`)} ${s.bold(room)} ${s.bold(line.from)}: ${
    messageBody(line.text)
  }`;
}

/** One line for a room event. */
export function formatRoomEvent(event: RoomEvent, s: Style): string {
  switch (event.type) {
    case "room-message":
      return chatLine(event, s);
    case "room-invite":
      return s.yellow(
        `* ${event.from} invited you to ${event.room}: /join ${event.room} to accept`,
      );
    case "room-notice":
      return s.dim(`* ${event.room}: ${sanitize(event.text)}`);
    case "broadcast":
      return `${s.dim(`[${clock(event.sentAt)}]`)} ${s.bold(s.cyan(event.from))} ${
        s.dim("(to everyone)")
      }: ${sanitize(event.text)}`;
  }
}
