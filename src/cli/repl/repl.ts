/**
 * The chat REPL: runs input lines through the command table (command_table.ts) and shows peer,
 * room and file events. On a terminal it uses tincan's own line editor (terminal_view.ts) with a
 * status line, unread counts per conversation, notifications and input history; on a pipe it
 * reads plain lines (node:readline without a terminal) and prints plain lines (line_view.ts).
 */
import type { Readable, Writable } from "node:stream";
import type { FileTransfers } from "../../peer/files/file_transfers.ts";
import type { Rooms } from "../../peer/rooms/rooms.ts";
import { describeError } from "../explain_error.ts";
import { MAX_TEXT_BYTES } from "../peer_args.ts";
import type { AwayReport } from "./away.ts";
import { REPL_KEYS, replRegistry } from "./command_table.ts";
import { Conversations } from "./conversations.ts";
import { fileEventLines, shortId } from "./file_commands.ts";
import {
  type ChatLine,
  chatLine,
  clockNoteLine,
  dateLine,
  day,
  formatEvent,
  sanitize,
  style,
  untrustedMessageLines,
} from "./format.ts";
import { saveInputLine } from "./input_history.ts";
import type { EditorAction } from "./line_editor.ts";
import { lineView } from "./line_view.ts";
import { notification, type NotifyMode } from "./notify.ts";
import { QuitGuard } from "./quit_guard.ts";
import { Receipts } from "./receipts.ts";
import type { ChatPeer, CompletionNames, ReplFiles, ReplRuntime } from "./registry.ts";
import { formatRoomEvent } from "./room_commands.ts";
import { statusLine } from "./status_line.ts";
import type { TerminalPort } from "./terminal.ts";
import { terminalView } from "./terminal_view.ts";
import type { View } from "./view.ts";

/** How the REPL talks to the user: a pipe (plain lines), or a terminal (the line editor). */
export type ReplIO =
  | { readonly input: Readable; readonly output: Writable; readonly terminal?: undefined }
  | { readonly terminal: TerminalPort };

/** Where the REPL reads and writes, and how. */
export type ReplOptions = ReplIO & {
  readonly color: boolean;
  /** Aborting it ends the REPL like /quit (SIGTERM). */
  readonly signal?: AbortSignal;
  /** Group chat: the room commands work when given. */
  readonly rooms?: Rooms;
  /** File transfers: /file, /accept, /reject, /files, and their progress lines. */
  readonly files?: ReplFiles & Pick<FileTransfers, "on">;
  /** The rendezvous address, for the status line. */
  readonly rendezvous?: string;
  /** Where the input history is kept (a terminal only); none: not kept. */
  readonly historyFile?: string;
  /** How to notify of messages you are not looking at (a terminal only). */
  readonly notify?: NotifyMode;
  /** Running inside tmux (notification escapes are wrapped for it). */
  readonly inTmux?: boolean;
  /** --verbose: errors keep the library's own words after the explanation. */
  readonly verbose?: boolean;
  /**
   * What came while the user was away (during the login): shown first, its counts seeding the
   * unread counts of the status line.
   */
  readonly away?: AwayReport;
  /** The clock (tests pass their own). */
  readonly now?: () => number;
};

/** A running REPL. */
export interface ReplHandle {
  /** Shows `text` (one or more lines) above the prompt. */
  print(text: string): void;
  /** Resolves when the user quit (/quit, Ctrl-C, Ctrl-D, end of input or the signal). */
  readonly closed: Promise<void>;
}

/** How long quitting waits for commands still running (a send being written to the outbox). */
const DRAIN_MS = 5_000;
/** History lines read at start for the names Tab completes. */
const NAMES_FROM_HISTORY = 200;

/** Starts the REPL on `peer`: prints the prompt and handles input until the user quits. */
export function startRepl(peer: ChatPeer, options: ReplOptions): ReplHandle {
  const s = style(options.color);
  const now = options.now ?? Date.now;
  const { rooms, files } = options;
  const registry = replRegistry({ rooms: rooms !== undefined, files: files !== undefined });
  const self = peer.username;
  const conversations = new Conversations(self);
  const known = new Set<string>();
  let connected = true;
  let closed = false;
  let printed = 0;
  let shownDay = day(now());
  const running = new Set<Promise<void>>();
  let resolveClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => resolveClosed = resolve);

  const prompt = () => {
    const target = conversations.current;
    return target ? `${self} → ${target}> ` : `${self}> `;
  };
  // The servers Tab completes: our home and the nodes it federates with, asked once.
  let servers: string[] = [];
  void Promise.resolve().then(() => peer.servers()).then(
    (list) => servers = [list.home, ...list.servers.map((s) => s.name)],
    () => {}, // no federation: nothing to complete
  );
  const names = (): CompletionNames => ({
    users: [...new Set([...peer.online(), ...known])].filter((u) => u !== self),
    rooms: rooms?.rooms().map((r) => r.name) ?? [],
    files: files?.list().map(shortId) ?? [],
    servers,
  });

  const print = (text: string) => {
    printed++;
    view.print(text);
  };
  const receipts = new Receipts(s, (n) => n === printed);
  const showChat = (line: ChatLine) => {
    const lineDay = day(line.sentAt);
    const date = lineDay === shownDay ? "" : `${dateLine(line.sentAt, s)}\n`;
    shownDay = lineDay;
    print(date + chatLine(line, s));
  };
  /** A message in `conversation`: shown (as `shown` when given), counted, maybe notified. */
  const arrived = (conversation: string, line: ChatLine, shown?: string) => {
    if (line.from !== self) known.add(line.from);
    const arrival = conversations.arrived(conversation, line.from, line.text);
    if (shown === undefined) showChat({ ...line, mention: arrival.mention });
    else print(shown);
    if (arrival.notify && options.terminal) {
      const where = conversation === line.from ? line.from : `${line.from} in ${conversation}`;
      view.signal(
        notification(options.notify ?? "bell", `tincan: ${where}`, line.text, !!options.inTmux),
      );
    }
    view.refresh();
  };

  const close = () => {
    if (closed) return;
    closed = true;
    stopEvents();
    stopRoomEvents?.();
    stopFileEvents?.();
    view.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise((r) => timer = setTimeout(r, DRAIN_MS));
    void Promise.race([Promise.allSettled([...running]), timeout]).then(() => {
      clearTimeout(timer);
      resolveClosed();
    });
  };

  const runtime: ReplRuntime = {
    peer,
    rooms,
    files,
    style: s,
    print,
    get target() {
      return conversations.current;
    },
    setTarget(next) {
      conversations.select(next);
      view.refresh();
    },
    sending: () => receipts.begin(),
    sendFailed: () => receipts.failed().forEach(print),
    sent(to, text, ids) {
      if (options.terminal) {
        showChat(
          to.startsWith("#")
            ? { sentAt: now(), from: self, text, room: to, own: true }
            : { sentAt: now(), from: self, text, to, own: true },
        );
      }
      if (!to.startsWith("#")) known.add(to);
      receipts.sent(text, ids, printed, to.startsWith("#") ? to : undefined).forEach(print);
    },
    forget(target) {
      conversations.remove(target);
      view.refresh();
    },
    windows: () => conversations.names(),
    toggleMute(target) {
      const muted = conversations.toggleMute(target);
      view.refresh();
      return muted;
    },
    clear: () => view.clear(),
    unread: (conversation) => conversations.unread(conversation),
    knows: (user) => known.has(user) || peer.online().includes(user),
    quit: close,
    help: () => options.terminal ? [...registry.help(), ...REPL_KEYS] : registry.help(),
  };

  const runLine = (line: string) => {
    const task = registry.run(
      registry.parse(line, { self, target: conversations.current, home: peer.home }),
      runtime,
    ).catch((err: unknown) => {
      print(s.red(`Error: ${sanitize(describeError(err, options.verbose ?? false))}`));
    });
    running.add(task);
    void task.finally(() => running.delete(task));
  };
  // Ctrl-C quits, but warns first while files are being sent or received.
  const quitGuard = new QuitGuard(() => files?.list() ?? []);
  const interrupt = () => {
    const decision = quitGuard.press();
    if (decision.quit) close();
    else print(s.yellow(decision.warning));
  };

  // The closures above use `view` only once it exists (events and input come after this).
  const view: View = options.terminal
    ? terminalView(options.terminal, {
      prompt,
      status: (width, hidden) =>
        statusLine(
          {
            self,
            rendezvous: options.rendezvous ?? "",
            connected,
            conversations: conversations.view(),
            hiddenInput: hidden,
          },
          width,
          s,
        ),
      complete: (before) => registry.complete(before, names()),
      submit(text) {
        if (options.historyFile && text.trim() !== "") {
          void saveInputLine(options.historyFile, text);
        }
        runLine(text);
      },
      action(action) {
        handleAction(action);
      },
      acceptPaste(text, truncated) {
        const bytes = new TextEncoder().encode(text).length;
        if (!truncated && bytes <= MAX_TEXT_BYTES) return true;
        print(s.yellow(
          `Paste refused: it is ${truncated ? "over " : ""}${bytes} bytes, and a message holds ` +
            `at most ${MAX_TEXT_BYTES} bytes. Split it, or send it as a file with /file.`,
        ));
        return false;
      },
      end: close,
    }, options.historyFile)
    : lineView(options.input, options.output, prompt, runLine, close);

  const handleAction = (action: EditorAction) => {
    switch (action.type) {
      case "candidates":
        return print(s.dim(action.list.join("  ")));
      case "too-long":
        return print(
          s.yellow(`The input holds at most ${action.max} characters; the rest was dropped.`),
        );
      case "bell":
        return;
      case "unhandled": {
        const event = action.event;
        if (event.type !== "key") return;
        if (event.name === "ctrl-c") return interrupt();
        if (event.name === "ctrl-d") return close();
        if (event.name === "ctrl-l") return view.clear();
        if (event.alt && /^[1-9]$/.test(event.name)) {
          const name = conversations.byNumber(Number(event.name));
          if (name !== undefined) runtime.setTarget(name);
        }
        return;
      }
      case "submit":
        return;
    }
  };

  const stopRoomEvents = rooms?.on((event) => {
    switch (event.type) {
      case "room-message":
        return arrived(event.room, event);
      case "broadcast":
        return arrived(event.from, event, formatRoomEvent(event, s));
      default:
        return print(formatRoomEvent(event, s));
    }
  });
  const fileLine = fileEventLines(s);
  const stopFileEvents = files?.on((event) => {
    const line = fileLine(event);
    if (line !== undefined) print(line);
  });
  const stopEvents = peer.on((event) => {
    switch (event.type) {
      case "message": {
        const { sentAt, from, text } = event;
        // From a key not trusted as `from` yet: behind its banner, not as `from`'s own line.
        const shown = event.trusted ? undefined : untrustedMessageLines(event, s);
        arrived(from, { sentAt, from, text }, shown);
        if (event.clockNote) print(clockNoteLine(from, event.clockNote, s));
        return;
      }
      case "delivered":
      case "queued":
      case "failed":
        // A room's own copies (keys, invitations) are not the user's to see delivered.
        return receipts.event(event, event.type === "delivered" && !!rooms?.sentByRooms(event.id))
          .forEach(print);
      case "presence":
        known.add(event.username);
        break;
      case "notice":
        if (event.rendezvous === "lost") connected = false;
        if (event.rendezvous === "back") connected = true;
        view.refresh();
        break;
    }
    const line = formatEvent(event, s);
    if (line !== undefined) print(line);
  });
  void peer.history(undefined, NAMES_FROM_HISTORY).then(
    (lines) => lines.forEach((l) => known.add(l.peer)),
    () => {},
  );

  // What came while away: shown first; its conversations start with their unread counts.
  for (const [name, unread] of options.away?.summary.unread ?? []) {
    conversations.unreadWhileAway(name, unread);
    if (!name.startsWith("#")) known.add(name);
  }
  if (options.away?.lines.length) print(options.away.lines.join("\n"));

  if (options.signal?.aborted) queueMicrotask(close);
  else options.signal?.addEventListener("abort", close, { once: true });
  return { print, closed: closedPromise };
}
