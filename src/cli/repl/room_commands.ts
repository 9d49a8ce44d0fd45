/**
 * The chat REPL's room commands: parsing (pure), running them on a Rooms, and showing room
 * events. A room is the current conversation after `/to #room`: plain text then goes to it.
 */
import {
  checkRoomName,
  checkRoomText,
  RoomError,
  type RoomEvent,
  type RoomHistoryLine,
  type Rooms,
} from "../../peer/rooms/rooms.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { clock, sanitize, type Style, timestamp } from "./format.ts";

/** What one room input line asks for. */
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
  | { readonly kind: "room-send"; readonly room: string; readonly text: string }
  | { readonly kind: "room-usage"; readonly message: string };

/** Usage of each room command, as shown by /help. */
export const ROOM_USAGE = {
  create: "/create #room             create a room (you are its admin)",
  invite: "/invite <user> #room      add <user> to a room you administer",
  join: "/join #room               accept an invitation",
  leave: "/leave #room              leave a room (or decline its invitation)",
  kick: "/kick <user> #room        remove <user> from a room you administer",
  rooms: "/rooms                    your rooms and invitations",
  members: "/members #room            who is in a room",
  broadcast: "/broadcast <text>         send <text> to everyone online",
  to: "/to #room                 send what you type next to the room",
} as const;

/** The room lines of /help. */
export const ROOM_HELP = Object.values(ROOM_USAGE).map((u) => `  ${u}`);

const usage = (name: keyof typeof ROOM_USAGE, why?: string): RoomCommand => ({
  kind: "room-usage",
  message: `${why ? `${why}. ` : ""}Usage: ${ROOM_USAGE[name].replace(/\s{2,}.*$/, "")}`,
});

/**
 * Parses `line` when it is a room command, or plain text while a room is the target (`target`
 * starts with "#"); undefined when the line is not about rooms.
 */
export function parseRoomLine(line: string, target: string | undefined): RoomCommand | undefined {
  const trimmed = line.trim();
  if (trimmed === "") return undefined;
  if (!trimmed.startsWith("/") || trimmed.startsWith("//")) {
    if (target === undefined || !target.startsWith("#")) return undefined;
    const text = trimmed.startsWith("//") ? line.trimStart().slice(1) : line;
    return withText(text, (t) => ({ kind: "room-send", room: target, text: t }));
  }
  const [word = "", ...args] = trimmed.slice(1).split(/\s+/);
  switch (word.toLowerCase()) {
    case "create":
    case "join":
    case "leave":
    case "members": {
      const name = word.toLowerCase() as "create" | "join" | "leave" | "members";
      if (args.length !== 1) return usage(name);
      return withRoom(args[0]!, name, (room) => ({ kind: name, room }));
    }
    case "invite":
    case "kick": {
      const name = word.toLowerCase() as "invite" | "kick";
      if (args.length !== 2) return usage(name);
      let user: string;
      try {
        user = normalizeUsername(args[0]!);
      } catch (err: unknown) {
        return usage(name, (err as Error).message);
      }
      return withRoom(args[1]!, name, (room) => ({ kind: name, user, room }));
    }
    case "rooms":
      return args.length === 0 ? { kind: "rooms" } : usage("rooms");
    case "broadcast": {
      if (args.length === 0) return usage("broadcast");
      const text = trimmed.replace(/^\/\S+\s/, "");
      return withText(text, (t) => ({ kind: "broadcast", text: t }));
    }
    case "to":
    case "msg":
      if (args[0]?.startsWith("#") !== true) return undefined; // a user: repl_commands.ts
      if (word.toLowerCase() === "to") {
        if (args.length !== 1) return usage("to");
        return withRoom(args[0], "to", (room) => ({ kind: "to-room", room }));
      }
      return withRoom(args[0], "to", (room) =>
        withText(
          trimmed.replace(/^\/\S+\s+\S+\s?/, ""),
          (t) => ({ kind: "room-send", room, text: t }),
        ));
    default:
      return undefined;
  }
}

function withRoom(
  input: string,
  name: keyof typeof ROOM_USAGE,
  then: (room: string) => RoomCommand,
): RoomCommand {
  try {
    return then(checkRoomName(input));
  } catch (err: unknown) {
    if (err instanceof RoomError) return usage(name, err.message);
    throw err;
  }
}

function withText(text: string, then: (text: string) => RoomCommand): RoomCommand {
  try {
    checkRoomText(text);
  } catch (err: unknown) {
    if (err instanceof RoomError) return { kind: "room-usage", message: err.message };
    throw err;
  }
  return then(text);
}

/** What running a room command needs from the REPL. */
export interface RoomReplIO {
  print(text: string): void;
  /** Makes `room` the current conversation. */
  setTarget(room: string): void;
  readonly style: Style;
}

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
    case "room-send":
      await rooms.send(command.room, command.text);
      return;
    case "room-usage":
      return io.print(s.yellow(command.message));
  }
}

/** One line of /history #room. */
export function formatRoomHistoryLine(room: string, line: RoomHistoryLine, s: Style): string {
  return `${s.dim(`[${timestamp(line.sentAt)}]`)} ${s.bold(room)} ${s.bold(line.from)}: ${
    sanitize(line.text)
  }`;
}

/** One line for a room event. */
export function formatRoomEvent(event: RoomEvent, s: Style): string {
  switch (event.type) {
    case "room-message":
      return `${s.dim(`[${clock(event.sentAt)}]`)} ${s.bold(event.room)} ${
        s.bold(s.cyan(event.from))
      }: ${sanitize(event.text)}`;
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
