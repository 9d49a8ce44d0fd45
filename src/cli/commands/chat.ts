/** `tincan chat`: log in (registering on first use) and chat interactively. */
import process from "node:process";
import { join } from "node:path";
import { files } from "../../peer/files/file_transfers.ts";
import type { Profile } from "../../peer/profile.ts";
import { rooms } from "../../peer/rooms/rooms.ts";
import type { Rendezvous } from "../../rendezvous/server.ts";
import { configureLogging } from "../../log.ts";
import type { Command, CommandContext, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import { startEmbeddedRendezvous } from "../../embedded/local_rendezvous.ts";
import {
  type Env,
  parsePeerArgs,
  PEER_FLAGS,
  PEER_FLAGS_HELP,
  type PeerArgs,
} from "../peer_args.ts";
import { type CliPeer, startCliPeer } from "../start_peer.ts";
import { parseFlags } from "../parse.ts";
import { REPL_HELP, REPL_KEYS, type ReplHandle, startRepl } from "../repl/repl.ts";
import { style, useColor } from "../repl/format.ts";
import { denoTerminal } from "../repl/deno_terminal.ts";
import { INPUT_HISTORY_FILE } from "../repl/input_history.ts";
import { notifyMode } from "../repl/notify.ts";

/** `tincan chat --help`. */
export const CHAT_HELP = `Usage: tincan chat --user NAME [--rendezvous MULTIADDR] [--profile DIR]

The interactive chat. Logs in to the rendezvous (registering NAME there on first use), then
reads commands and messages; incoming messages appear above what you are typing.

When the rendezvous is the local default /ip4/127.0.0.1/tcp/4001 and nothing listens there,
chat starts one in this process (data in $XDG_DATA_HOME/tincan/rendezvous or
~/.local/share/tincan/rendezvous), so two chats on one machine find each other. It stops
when that chat exits.

${REPL_HELP.join("\n")}

${REPL_KEYS.join("\n")}

Options:
${PEER_FLAGS_HELP}
Colours are off when NO_COLOR is set or stdout is not a terminal. A message in a conversation you
are not looking at (or one that mentions you) rings the bell and sends a desktop notification
escape: TINCAN_NOTIFY=off|bell|osc9|osc777 chooses (default OSC 777 on VTE, foot and urxvt,
else OSC 9).`;

/** Attempts, and the pause between them, to take the local rendezvous over. */
const TAKEOVER_ATTEMPTS = 10;
const TAKEOVER_PAUSE_MS = 500;

/** Where accepted files go, inside the profile directory. */
export const DOWNLOADS = "downloads";

/** Parsed `tincan chat` arguments. */
export type ChatArgs = Parsed<PeerArgs>;

/**
 * Parses the arguments of `tincan chat`.
 * @throws UsageError for unknown flags, a missing or bad --user, or a bad --rendezvous.
 */
export function parseChatArgs(args: readonly string[], env: Env): ChatArgs {
  const { values } = parseFlags("chat", args, PEER_FLAGS);
  if (values.help) return { help: true };
  return { help: false, ...parsePeerArgs("chat", values, env) };
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
  { io, env, signal, logLevel }: CommandContext,
): Promise<number> {
  let embedded: Rendezvous | undefined;
  let started: CliPeer<ReturnType<typeof chatServices>>;
  try {
    started = await startCliPeer(parsed, {
      register: true,
      env,
      io,
      beforeConnect: async (address) => {
        embedded = await startEmbeddedRendezvous(address, env, io.err);
      },
      services: chatServices,
    });
  } catch (err: unknown) {
    await embedded?.stop().catch(() => {});
    throw err;
  }
  // What the chat tells the user: on stderr, except above the prompt while the terminal REPL
  // runs (a line written to stderr then lands on the prompt line).
  const isTerminal = io.stdin.isTerminal() && Deno.stdout.isTerminal();
  let repl: ReplHandle | undefined;
  const say = (line: string) => repl && isTerminal ? repl.print(line) : io.err(line);
  // When the chat that ran the local rendezvous exits, the next one to notice runs it instead
  // (same data directory, so the same PeerId), and everyone's peer logs in again by itself.
  let takingOver = false;
  const takeOver = async () => {
    // The exiting chat may still hold the database for a moment: try a few times.
    for (let attempt = 1; attempt <= TAKEOVER_ATTEMPTS && !embedded; attempt++) {
      try {
        const taken = await startEmbeddedRendezvous(started.rendezvous, env, say);
        if (taken && embedded) await taken.stop();
        else embedded ??= taken;
        return;
      } catch (err: unknown) {
        if (attempt === TAKEOVER_ATTEMPTS) {
          say(`tincan: cannot start the local rendezvous: ${(err as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, TAKEOVER_PAUSE_MS));
      }
    }
  };
  const stopTakeover = started.peer.on((event) => {
    if (event.type !== "notice" || event.rendezvous !== "lost" || embedded || takingOver) return;
    takingOver = true;
    void takeOver().finally(() => takingOver = false);
  });
  try {
    const s = style(useColor(Deno.stdout.isTerminal(), env("NO_COLOR")));
    io.out(
      `Logged in as ${s.bold(parsed.user)} at ${started.rendezvous} ` +
        `(peer id ${started.profile.peerId}).`,
    );
    io.out("Type /help for commands, /to <user> to choose whom you talk to, /quit to leave.");
    io.out(`Files you /accept are saved in ${join(started.profile.dir, DOWNLOADS)}.`);
    const options = {
      color: useColor(Deno.stdout.isTerminal(), env("NO_COLOR")),
      signal,
      rooms: started.peer.services.rooms,
      files: started.peer.services.files,
      rendezvous: started.rendezvous,
      historyFile: join(started.profile.dir, INPUT_HISTORY_FILE),
      notify: notifyMode(env),
      inTmux: !!env("TMUX"),
    };
    repl = startRepl(
      started.peer,
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
    stopTakeover();
    await started.stop();
    await embedded?.stop().catch(() => {});
  }
  io.out("Bye.");
  return EXIT.ok;
}

/** The services of a chat: rooms, and files saved in the profile's download directory. */
function chatServices(profile: Profile) {
  return { rooms: rooms(), files: files({ downloadDir: join(profile.dir, DOWNLOADS) }) };
}
