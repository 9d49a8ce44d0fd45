/**
 * The chat REPL over node:readline: reads lines, runs them through the command registry
 * (registry.ts), and shows peer events above the prompt without disturbing what the user is
 * typing: clear the input line, print, then redraw the prompt and the partial input
 * (`rl.prompt(true)`).
 */
import { clearLine, createInterface, cursorTo } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { FileTransfers } from "../../peer/files/file_transfers.ts";
import type { Rooms } from "../../peer/rooms/rooms.ts";
import { describeError } from "../explain_error.ts";
import type { AwayReport } from "./away.ts";
import { CORE_COMMANDS } from "./commands.ts";
import { QuitGuard } from "./quit_guard.ts";
import { FILE_COMMANDS, fileEventLines, type ReplFiles } from "./file_commands.ts";
import { formatEvent, sanitize, style } from "./format.ts";
import { type ChatPeer, type ReplEntry, ReplRegistry, type ReplRuntime } from "./registry.ts";
import { formatRoomEvent, ROOM_COMMANDS } from "./room_commands.ts";

/** The REPL's command registry: the core commands, and those of the features it has. */
export function replRegistry(features: { rooms: boolean; files: boolean }): ReplRegistry {
  const entries: ReplEntry[] = [...CORE_COMMANDS];
  if (features.rooms) entries.push(...ROOM_COMMANDS);
  if (features.files) entries.push(...FILE_COMMANDS);
  return new ReplRegistry(entries);
}

/** The /help of the full chat (every feature), for `tincan chat --help`. */
export const REPL_HELP: readonly string[] = replRegistry({ rooms: true, files: true }).help();

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
  /** --verbose: errors keep the library's own words after the explanation. */
  readonly verbose?: boolean;
  /** What came while the user was away (during the login): shown first, with its counts. */
  readonly away?: AwayReport;
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
  const { rooms, files } = options;
  const registry = replRegistry({ rooms: rooms !== undefined, files: files !== undefined });
  const rl = createInterface({
    input: options.input,
    output,
    terminal,
    historySize: 200,
    // Tab completes a command's name.
    completer: (line: string) => [registry.completions(line), line],
  });
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

  const stopRoomEvents = rooms?.on((event) => print(formatRoomEvent(event, s)));
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

  const runtime: ReplRuntime = {
    peer,
    rooms,
    files,
    style: s,
    print,
    setTarget(next) {
      target = next;
      setPrompt();
    },
    quit: () => rl.close(),
    help: () => registry.help(),
  };

  rl.on("line", (line: string) => {
    const task = registry.run(registry.parse(line, { self: peer.username, target }), runtime)
      .catch((err: unknown) => {
        print(s.red(`error: ${sanitize(describeError(err, options.verbose ?? false))}`));
      });
    running.add(task);
    void task.finally(() => running.delete(task));
    if (!closed) rl.prompt();
  });
  const quitGuard = new QuitGuard(() => files?.list() ?? []);
  rl.on("SIGINT", () => {
    const decision = quitGuard.press();
    if (decision.quit) rl.close();
    else print(s.yellow(decision.warning));
  });
  if (options.signal?.aborted) queueMicrotask(() => rl.close());
  else options.signal?.addEventListener("abort", () => rl.close(), { once: true });

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
  if (options.away?.lines.length) print(options.away.lines.join("\n"));
  rl.prompt();
  return { print: (text) => print(text), closed: closed_ };
}
