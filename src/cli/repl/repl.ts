/**
 * The chat REPL over node:readline: reads lines, runs them (repl_commands.ts parses them), and
 * shows peer events above the prompt without disturbing what the user is typing: clear the input
 * line, print, then redraw the prompt and the partial input (`rl.prompt(true)`).
 */
import { clearLine, createInterface, cursorTo } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { Peer } from "../../peer/peer.ts";
import type { FileTransfers } from "../../peer/files/file_transfers.ts";
import { RoomError, type Rooms } from "../../peer/rooms/rooms.ts";
import { parseReplLine, REPL_HELP, type ReplCommand } from "./commands.ts";
import { fileEventLines, parseFileLine, type ReplFiles, runFileCommand } from "./file_commands.ts";
import {
  formatRoomEvent,
  formatRoomHistoryLine,
  parseRoomLine,
  runRoomCommand,
} from "./room_commands.ts";
import { formatEvent, formatHistoryLine, formatSafetyNumber, sanitize, style } from "./format.ts";

/** What the REPL uses of a peer (tests pass a fake). */
export type ChatPeer = Pick<
  Peer,
  "username" | "on" | "online" | "send" | "safetyNumber" | "markVerified" | "trust" | "history"
>;

/** Where the REPL reads and writes, and how. */
export interface ReplOptions {
  readonly input: Readable;
  readonly output: Writable;
  /** A terminal: line editing, and redrawing the prompt around incoming lines. */
  readonly terminal: boolean;
  readonly color: boolean;
  /** Aborting it ends the REPL like /quit (SIGTERM). */
  readonly signal?: AbortSignal;
  /** Group chat: the room commands work when given. */
  readonly rooms?: Rooms;
  /** File transfers: /file, /accept, /reject, /files, and their progress lines. */
  readonly files?: ReplFiles & Pick<FileTransfers, "on">;
}

/** A running REPL. */
export interface ReplHandle {
  /** Shows `text` (one or more lines) above the prompt. */
  print(text: string): void;
  /** Resolves when the user quit (/quit, Ctrl-C, Ctrl-D, end of input or the signal). */
  readonly closed: Promise<void>;
}

/** How long quitting waits for commands still running (a send being written to the outbox). */
const DRAIN_MS = 5_000;

/** Starts the REPL on `peer`: prints the prompt and handles input until the user quits. */
export function startRepl(peer: ChatPeer, options: ReplOptions): ReplHandle {
  const { output, terminal } = options;
  const s = style(options.color);
  const rl = createInterface({ input: options.input, output, terminal, historySize: 200 });
  let target: string | undefined;
  let closed = false;
  const running = new Set<Promise<void>>();

  const print = (text: string) => {
    if (terminal && !closed) {
      clearLine(output, 0);
      cursorTo(output, 0);
    }
    output.write(text + "\n");
    if (terminal && !closed) rl.prompt(true);
  };
  const setPrompt = () =>
    rl.setPrompt(target ? `${peer.username} → ${target}> ` : `${peer.username}> `);

  const { rooms } = options;
  const stopRoomEvents = rooms?.on((event) => print(formatRoomEvent(event, s)));
  const { files } = options;
  const fileLine = fileEventLines(s);
  const stopFileEvents = files?.on((event) => {
    const line = fileLine(event);
    if (line !== undefined) print(line);
  });
  const stopEvents = peer.on((event) => {
    if (event.type === "delivered" && rooms?.sentByRooms(event.id)) return;
    const line = formatEvent(event, s);
    if (line !== undefined) print(line);
  });

  const roomHistory = (room: string, limit: number) => {
    if (rooms === undefined) throw new RoomError("Rooms are not available here");
    return rooms.history(room, limit);
  };

  const run = async (command: ReplCommand): Promise<void> => {
    switch (command.kind) {
      case "none":
        return;
      case "help":
        return print(REPL_HELP.join("\n"));
      case "list": {
        const online = peer.online();
        return print(online.length ? `Online: ${online.join(", ")}` : "Nobody else is online.");
      }
      case "send": {
        await peer.send(command.to, command.text);
        return; // a queued event says when it went to the mailbox of someone offline
      }
      case "to":
        target = command.user;
        setPrompt();
        return print(`Now talking to ${command.user}: plain text goes to ${command.user}.`);
      case "verify": {
        const number = await peer.safetyNumber(command.user);
        if (!command.confirm) return print(formatSafetyNumber(command.user, number, s).join("\n"));
        peer.markVerified(command.user);
        return print(s.green(
          `${command.user} is verified: if ${command.user}'s key ever changes, messages to ` +
            `${command.user} are blocked until you /trust again.`,
        ));
      }
      case "trust": {
        const released = peer.trust(command.user);
        if (released === undefined) {
          return print(`${command.user}'s key has not changed: there is nothing to trust.`);
        }
        return print(
          `Trusted ${command.user}'s new key; ${released} held message(s) released.`,
        );
      }
      case "history": {
        const lines = command.room === undefined
          ? (await peer.history(command.user, command.limit)).map((l) =>
            formatHistoryLine(l, peer.username, s)
          )
          : (await roomHistory(command.room, command.limit)).map((l) =>
            formatRoomHistoryLine(command.room!, l, s)
          );
        return print(lines.length === 0 ? "No messages yet." : lines.join("\n"));
      }
      case "quit":
        rl.close();
        return;
      case "usage":
        return print(s.yellow(command.message));
    }
  };

  rl.on("line", (line: string) => {
    const roomCommand = rooms && parseRoomLine(line, target);
    const setTarget = (room: string) => {
      target = room;
      setPrompt();
    };
    const fileCommand = files && parseFileLine(line);
    const task = (fileCommand
      ? runFileCommand(files!, fileCommand, s).then((lines) => {
        if (lines.length > 0) print(lines.join("\n"));
      })
      : roomCommand
      ? runRoomCommand(rooms!, roomCommand, { print, setTarget, style: s })
      : run(parseReplLine(line, { self: peer.username, target }))).catch((err: unknown) => {
        print(s.red(`error: ${sanitize(err instanceof Error ? err.message : String(err))}`));
      });
    running.add(task);
    void task.finally(() => running.delete(task));
    if (!closed) rl.prompt();
  });
  rl.on("SIGINT", () => rl.close());
  options.signal?.addEventListener("abort", () => rl.close(), { once: true });

  const closed_ = new Promise<void>((resolve) => {
    rl.on("close", () => {
      closed = true;
      stopEvents();
      stopRoomEvents?.();
      stopFileEvents?.();
      if (terminal) output.write("\n");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((r) => timer = setTimeout(r, DRAIN_MS));
      void Promise.race([Promise.allSettled([...running]), timeout]).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  });
  setPrompt();
  rl.prompt();
  return { print: (text) => print(text), closed: closed_ };
}
