/** `tincan chat`: log in (registering on first use) and chat interactively. */
import process from "node:process";
import { join } from "node:path";
import { files } from "../../peer/files/file_transfers.ts";
import type { Profile } from "../../peer/profile.ts";
import { rooms } from "../../peer/rooms/rooms.ts";
import { configureLogging } from "../../log.ts";
import type { Command, CommandContext, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import { LocalRendezvousHost } from "../../embedded/takeover.ts";
import { pinnedRendezvous } from "../../peer/rendezvous_link.ts";
import { type Env, parseOnlyPeerArgs, PEER_FLAGS_HELP, type PeerArgs } from "../peer_args.ts";
import { type CliPeer, startCliPeer } from "../start_peer.ts";
import { REPL_HELP, REPL_KEYS } from "../repl/command_table.ts";
import { type ReplHandle, startRepl } from "../repl/repl.ts";
import { AwayRecorder, awayReport } from "../repl/away.ts";
import { formatEvent, style, useColor } from "../repl/format.ts";
import { denoTerminal } from "../repl/deno_terminal.ts";
import { INPUT_HISTORY_FILE } from "../repl/input_history.ts";
import { notifyMode } from "../repl/notify.ts";
import { DeliveryDeadline, withDeadline } from "../delivery_deadline.ts";

/** `tincan chat --help`. */
export const CHAT_HELP = `Usage: tincan chat --user NAME [--rendezvous MULTIADDR] [--profile DIR]

The interactive chat. Logs in to the rendezvous (registering NAME there on first use), then
reads commands and messages; incoming messages appear above what you are typing.

When the rendezvous is the local default /ip4/127.0.0.1/tcp/4001 and nothing listens there,
chat starts one in this process (data in $XDG_DATA_HOME/tincan/rendezvous or
~/.local/share/tincan/rendezvous), so two chats on one machine find each other. When that
chat exits, another chat with the same data directory takes it over (same PeerId); a chat of
another user or HOME cannot, says so, and retries until it is back.

Messages that came while you were away are shown first, under one marker line with the
count per conversation. Only one tincan runs on a profile at a time.

${REPL_HELP.join("\n")}

${REPL_KEYS.join("\n")}

Options:
${PEER_FLAGS_HELP}
Colours are off when NO_COLOR is set or stdout is not a terminal. A message in a conversation you
are not looking at (or one that mentions you) rings the bell and sends a desktop notification
escape: TINCAN_NOTIFY=off|bell|osc9|osc777 chooses (default OSC 777 on VTE, foot and urxvt,
else OSC 9).`;

/** Where accepted files go, inside the profile directory. */
export const DOWNLOADS = "downloads";

/** Parsed `tincan chat` arguments. */
export type ChatArgs = Parsed<PeerArgs>;

/**
 * Parses the arguments of `tincan chat`.
 * @throws UsageError for unknown flags, a missing or bad --user, or a bad --rendezvous.
 */
export function parseChatArgs(args: readonly string[], env: Env): ChatArgs {
  return parseOnlyPeerArgs("chat", args, env);
}

/** `tincan chat`: runs the chat until the user quits (/quit, Ctrl-C, Ctrl-D or SIGTERM). */
export const chat: Command<PeerArgs> = {
  name: "chat",
  summary: "interactive chat (registers on first use)",
  help: CHAT_HELP,
  catchSignals: true,
  parse: parseChatArgs,
  run: runChat,
};

async function runChat(
  parsed: PeerArgs,
  { io, env, signal, logLevel, verbose }: CommandContext,
): Promise<number> {
  let repl: ReplHandle | undefined;
  const isTerminal = io.stdin.isTerminal() && Deno.stdout.isTerminal();
  // Notices go to stderr, but above the prompt once a terminal REPL runs (not onto it).
  const say = (line: string) => repl && isTerminal ? repl.print(line) : io.err(line);
  const host = new LocalRendezvousHost({ env, say });
  let recorder: AwayRecorder | undefined;
  let started: CliPeer<ReturnType<typeof chatServices>>;
  try {
    started = await startCliPeer(parsed, {
      register: true,
      command: "chat",
      env,
      io,
      beforeConnect: (address) => host.start(address),
      services: chatServices,
      beforeStart: (peer) => {
        recorder = new AwayRecorder({
          on: (listener) => peer.on(listener),
          rooms: peer.services.rooms,
          files: peer.services.files,
        });
      },
    });
  } catch (err: unknown) {
    await host.stop();
    throw err;
  }
  let deadline: DeliveryDeadline | undefined;
  const stopTakeover = host.follow(
    started.peer,
    () => pinnedRendezvous(started.profile.db, started.rendezvous),
  );
  try {
    const s = style(useColor(Deno.stdout.isTerminal(), env("NO_COLOR")));
    if (started.registered) {
      io.out(`Registered ${s.bold(parsed.user)} at ${started.rendezvous}: a new account.`);
    }
    io.out(
      `Logged in as ${s.bold(parsed.user)} at ${started.rendezvous} ` +
        `(peer id ${started.profile.peerId}).`,
    );
    io.out("Type /help for commands, /to <user> to choose whom you talk to, /quit to leave.");
    io.out(`Files you /accept are saved in ${join(started.profile.dir, DOWNLOADS)}.`);
    // What came during the login, shown first; from here on the REPL itself listens.
    const { rooms } = started.peer.services;
    const away = awayReport(
      recorder?.stop() ?? [],
      s,
      (event) => event.type === "delivered" && rooms.sentByRooms(event.id),
    );
    deadline = new DeliveryDeadline(started.peer, (event) => say(formatEvent(event, s) ?? ""));
    const options = {
      away,
      verbose,
      color: useColor(Deno.stdout.isTerminal(), env("NO_COLOR")),
      signal,
      rooms,
      files: started.peer.services.files,
      rendezvous: started.rendezvous,
      historyFile: join(started.profile.dir, INPUT_HISTORY_FILE),
      notify: notifyMode(env),
      inTmux: !!env("TMUX"),
    };
    const peer = withDeadline(started.peer, deadline);
    repl = startRepl(
      peer,
      isTerminal
        ? { ...options, terminal: denoTerminal(io.stdin) }
        : { ...options, input: process.stdin, output: process.stdout },
    );
    configureLogging(logLevel, { write: (line) => repl?.print(s.dim(line)) });
    await repl.closed;
    repl = undefined;
    io.out("Logging out…");
  } finally {
    configureLogging(logLevel);
    deadline?.stop();
    stopTakeover();
    await started.stop();
    await host.stop();
  }
  io.out("Bye.");
  return EXIT.ok;
}

/** The services of a chat: rooms, and files saved in the profile's download directory. */
function chatServices(profile: Profile) {
  return { rooms: rooms(), files: files({ downloadDir: join(profile.dir, DOWNLOADS) }) };
}
