import assert from "node:assert/strict";
import {
  formatRoomEvent,
  formatRoomHistoryLine,
  ROOM_COMMANDS,
  runRoomCommand,
} from "../../../src/cli/repl/room_commands.ts";
import { style } from "../../../src/cli/repl/format.ts";
import type { Rooms } from "../../../src/peer/rooms/rooms.ts";
import { replRegistry } from "../../../src/cli/repl/command_table.ts";

const registry = replRegistry({ rooms: true, files: false });
const isRoom = (entry: unknown) => ROOM_COMMANDS.some((e) => e === entry);
/** What the line asks of the room commands: undefined when another command takes it. */
const parseRoomLine = (line: string, target: string | undefined) => {
  const parsed = registry.parse(line, { self: "alice", target });
  if (parsed.kind === "none" || !isRoom(parsed.entry)) return undefined;
  return parsed.kind === "command" ? parsed.command as { kind: string } : parsed;
};

Deno.test("room commands parse; other lines are left to the chat parser", () => {
  assert.deepEqual(parseRoomLine("/create #Ops", undefined), { kind: "create", room: "#ops" });
  assert.deepEqual(parseRoomLine("/invite Bob #ops", undefined), {
    kind: "invite",
    user: "bob",
    room: "#ops",
  });
  assert.deepEqual(parseRoomLine("/kick bob #ops", undefined), {
    kind: "kick",
    user: "bob",
    room: "#ops",
  });
  assert.deepEqual(parseRoomLine("/rooms", undefined), { kind: "rooms" });
  assert.deepEqual(parseRoomLine("/to #ops", undefined), { kind: "to-room", room: "#ops" });
  assert.deepEqual(parseRoomLine("/msg #ops hi  there", undefined), {
    kind: "room-send",
    room: "#ops",
    text: "hi  there",
  });
  assert.deepEqual(parseRoomLine("hello", "#ops"), {
    kind: "room-send",
    room: "#ops",
    text: "hello",
  });
  assert.deepEqual(parseRoomLine("/broadcast all hands", undefined), {
    kind: "broadcast",
    text: "all hands",
  });
  assert.equal(parseRoomLine("hello", "bob"), undefined);
  assert.equal(parseRoomLine("/to bob", undefined), undefined);
  assert.equal(parseRoomLine("/list", undefined), undefined);
  assert.equal(parseRoomLine("/create ops", undefined)?.kind, "usage");
  assert.equal(parseRoomLine("/invite #ops", undefined)?.kind, "usage");
});

Deno.test("room commands take another node's user: /invite Bob@Work #ops", () => {
  assert.deepEqual(parseRoomLine("/invite Bob@Work #ops", undefined), {
    kind: "invite",
    user: "bob@work",
    room: "#ops",
  });
  assert.deepEqual(parseRoomLine("/kick bob@work #ops", undefined), {
    kind: "kick",
    user: "bob@work",
    room: "#ops",
  });
  assert.equal(parseRoomLine("/invite bob@a@b #ops", undefined)?.kind, "usage");
});

Deno.test("room events are shown on one line, with other users' text made safe", () => {
  const s = style(false);
  const line = formatRoomEvent(
    { type: "room-message", id: "00", room: "#ops", from: "bob", text: "hi\x1b[2J", sentAt: 0 },
    s,
  );
  assert.match(line, /#ops bob: hi\ufffd\[2J$/);
  assert.match(
    formatRoomEvent({ type: "room-invite", room: "#ops", from: "alice" }, s),
    /\/join #ops/,
  );
  assert.match(
    formatRoomHistoryLine("#ops", { from: "bob", sentAt: 0, text: "old\x1b[2J" }, s),
    /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] #ops bob: old\ufffd\[2J$/,
  );
});

Deno.test("room commands: /leave forgets the room as the target; a room send reports its ids", async () => {
  const calls: string[] = [];
  const rooms = {
    leave: (room: string) => Promise.resolve(void calls.push(`leave ${room}`)),
    send: (room: string, text: string) => {
      calls.push(`send ${room} ${text}`);
      return Promise.resolve(["a", "b"]);
    },
  } as Partial<Rooms> as Rooms;
  const io = {
    style: style(false),
    print: (text: string) => void calls.push(`print ${text}`),
    setTarget: (t: string) => void calls.push(`target ${t}`),
    sending: () => void calls.push("sending"),
    sent: (to: string, text: string, ids: readonly string[]) =>
      void calls.push(`sent ${to} ${text} ${ids.join(",")}`),
    sendFailed: () => void calls.push("failed"),
    forget: (t: string) => void calls.push(`forget ${t}`),
  };
  await runRoomCommand(rooms, { kind: "leave", room: "#dev" }, io);
  await runRoomCommand(rooms, { kind: "room-send", room: "#dev", text: "hi" }, io);
  assert.deepEqual(calls, [
    "leave #dev",
    "forget #dev",
    "print Left #dev.",
    "sending",
    "send #dev hi",
    "sent #dev hi a,b",
  ]);
});
