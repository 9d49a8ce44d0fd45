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
import { REPL_HELP, startRepl } from "../repl/repl.ts";
import { AwayRecorder, awayReport } from "../repl/away.ts";
import { style, useColor } from "../repl/format.ts";

/** `tincan chat --help`. */
export const CHAT_HELP = `Usage: tincan chat --user NAME [--rendezvous MULTIADDR] [--profile DIR]

The interactive chat. Logs in to the rendezvous (registering NAME there on first use), then
reads commands and messages; incoming messages appear above what you are typing.

When the rendezvous is the local default /ip4/127.0.0.1/tcp/4001 and nothing listens there,
chat starts one in this process (data in $XDG_DATA_HOME/tincan/rendezvous or
~/.local/share/tincan/rendezvous), so two chats on one machine find each other. It stops
when that chat exits.

${REPL_HELP.join("\n")}

Options:
${PEER_FLAGS_HELP}
Colours are off when NO_COLOR is set or stdout is not a terminal.`;

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
  { io, env, signal, logLevel, verbose }: CommandContext,
): Promise<number> {
  let embedded: Rendezvous | undefined;
  let recorder: AwayRecorder | undefined;
  let started: CliPeer<ReturnType<typeof chatServices>>;
  try {
    started = await startCliPeer(parsed, {
      register: true,
      command: "chat",
      env,
      io,
      beforeConnect: async (address) => {
        embedded = await startEmbeddedRendezvous(address, env, io.err);
      },
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
    await embedded?.stop().catch(() => {});
    throw err;
  }
  // When the chat that ran the local rendezvous exits, the next one to notice runs it instead
  // (same data directory, so the same PeerId), and everyone's peer logs in again by itself.
  let takingOver = false;
  const takeOver = async () => {
    // The exiting chat may still hold the database for a moment: try a few times.
    for (let attempt = 1; attempt <= TAKEOVER_ATTEMPTS && !embedded; attempt++) {
      try {
        const taken = await startEmbeddedRendezvous(started.rendezvous, env, io.err);
        if (taken && embedded) await taken.stop();
        else embedded ??= taken;
        return;
      } catch (err: unknown) {
        if (attempt === TAKEOVER_ATTEMPTS) {
          io.err(`tincan: cannot start the local rendezvous: ${(err as Error).message}`);
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
    const isTerminal = io.stdin.isTerminal() && Deno.stdout.isTerminal();
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
    const away = awayReport(recorder?.stop() ?? [], s);
    const repl = startRepl(started.peer, {
      away,
      verbose,
      input: process.stdin,
      output: process.stdout,
      terminal: isTerminal,
      color: useColor(Deno.stdout.isTerminal(), env("NO_COLOR")),
      signal,
      rooms: started.peer.services.rooms,
      files: started.peer.services.files,
    });
    configureLogging(logLevel, { write: (line) => repl.print(s.dim(line)) });
    await repl.closed;
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
