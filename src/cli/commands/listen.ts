/** `tincan listen`: log in and print incoming messages until interrupted (or N arrived). */
import type { PeerEvent } from "../../peer/events.ts";
import { type ReceivedMessage, UnreadMessages } from "../../peer/unread_messages.ts";
import type { Command, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import {
  type Env,
  parseCount,
  parsePeerArgs,
  PEER_FLAGS,
  PEER_FLAGS_HELP,
  type PeerArgs,
} from "../peer_args.ts";
import { aborted } from "../signals.ts";
import { startCliPeer } from "../start_peer.ts";
import { parseFlags } from "../parse.ts";
import type { FileTransfers } from "../../peer/files/file_transfers.ts";
import type { ServiceFactory } from "../../peer/service.ts";
import { acceptingFiles, LISTEN_FILES_HELP, reportFiles } from "../accept_files.ts";
import { parseSize } from "../../units.ts";
import { UsageError } from "../../errors.ts";
import {
  formatEvent,
  keyChangedLine,
  sanitize,
  style,
  timestamp,
  untrustedName,
} from "../repl/format.ts";

/** `tincan listen --help`. */
export const LISTEN_HELP =
  `Usage: tincan listen --user NAME [--rendezvous MULTIADDR] [--json] [--count N]
       [--accept-files DIR [--max-file-size SIZE]]

Logs in, prints the messages waiting in your mailbox at the rendezvous (sent while you were
offline), then each incoming message on stdout until Ctrl-C (or SIGTERM), then logs out.
Status lines (ready, key changes, lost connection) go to stderr.

Every message listen receives is printed: one that arrives after --count N was reached (mail
is fetched in batches) is kept unread in the profile, and the next listen prints it first,
with its original "via". Messages shown in \`tincan chat\` are not printed again.

Human format:  [YYYY-MM-DD HH:MM:SS] alice: text
--json format: one object per line; "via" is how it was carried: "direct", "relayed"
(through the rendezvous's relay) or "mailbox"; "trusted" is false for a message from a changed
key not yet trusted (it may not be from "from"):
  {"type":"message","id":"<hex>","from":"alice","to":"bob","text":"…",
   "sentAt":<ms since 1970>,"keyChanged":false,"trusted":true,"via":"mailbox"}
  A sent time over a day ahead or over a year behind ours is replaced by the time the message
  arrived, and "clockNote" (after the text in the human format) says what the sender's clock said.

Options:
  --json                  one JSON object per message
  --count N               exit 0 after printing N messages (the rest stay unread)
${LISTEN_FILES_HELP}
${PEER_FLAGS_HELP}`;

/** Parsed `tincan listen` arguments. */
export type ListenArgs = Parsed<ListenOptions>;

/** What `tincan listen` prints, how many messages it waits for, and where files go. */
export type ListenOptions = {
  readonly json: boolean;
  readonly count?: number;
  readonly acceptFiles?: string;
  readonly maxFileBytes?: number;
} & PeerArgs;

/**
 * Parses the arguments of `tincan listen`.
 * @throws UsageError for unknown flags, a missing or bad --user or --rendezvous, a bad --count.
 */
export function parseListenArgs(args: readonly string[], env: Env): ListenArgs {
  const { values } = parseFlags("listen", args, {
    ...PEER_FLAGS,
    json: { type: "boolean" },
    count: { type: "string" },
    "accept-files": { type: "string" },
    "max-file-size": { type: "string" },
  });
  if (values.help) return { help: true };
  const peer = parsePeerArgs("listen", values, env);
  const count = values.count === undefined
    ? undefined
    : parseCount("listen", "--count", values.count, 1, Number.MAX_SAFE_INTEGER);
  const dir = values["accept-files"];
  if (dir === "") throw new UsageError("listen: --accept-files needs a directory");
  let maxFileBytes: number | undefined;
  try {
    const size = values["max-file-size"];
    maxFileBytes = size === undefined ? undefined : parseSize(size);
  } catch (err: unknown) {
    throw new UsageError(`listen: --max-file-size: ${(err as Error).message}`);
  }
  return {
    help: false,
    ...peer,
    json: values.json ?? false,
    ...(count ? { count } : {}),
    ...(dir === undefined ? {} : { acceptFiles: dir }),
    ...(maxFileBytes === undefined ? {} : { maxFileBytes }),
  };
}

/** The --json line of a message. */
export function messageJson(m: ReceivedMessage): string {
  return JSON.stringify({
    type: "message",
    id: m.id,
    from: m.from,
    to: m.to,
    text: m.text,
    sentAt: m.sentAt,
    ...(m.clockNote === undefined ? {} : { clockNote: m.clockNote }),
    keyChanged: m.keyChanged,
    trusted: m.trusted,
    via: m.via,
  });
}

/** The human line of a message (text made safe for a terminal). */
export function messageLine(m: ReceivedMessage): string {
  const from = m.trusted ? m.from : untrustedName(m.from);
  const line = `[${timestamp(m.sentAt)}] ${from}: ${sanitize(m.text)}`;
  return m.clockNote === undefined ? line : `${line} (${sanitize(m.clockNote)})`;
}

/** Time for the acknowledgement of the last message to leave before logging out. */
const ACK_GRACE_MS = 300;

/** `tincan listen`: prints messages until interrupted or --count reached. */
export const listen: Command<ListenOptions> = {
  name: "listen",
  summary: "print incoming messages (--json for scripts)",
  help: LISTEN_HELP,
  catchSignals: true,
  parse: parseListenArgs,
  async run(args, { io, env, signal }) {
    const s = style(false);
    let seen = 0;
    let reachedCount = () => {};
    const counted = new Promise<void>((resolve) => reachedCount = resolve);
    // The peer stops by itself when its profile is damaged (the notice says which file).
    let fatal = false;
    let stoppedFatally = () => {};
    const stopped = new Promise<void>((resolve) => stoppedFatally = resolve);
    // Every message is noted in the profile as it arrives and printed from there, oldest first:
    // what an earlier listen left unprinted comes first, and what arrives after --count N is
    // left for the next listen.
    let unread: UnreadMessages | undefined;
    let printing = Promise.resolve();
    const wanted = () => args.count === undefined || seen < args.count;
    const show = (message: ReceivedMessage) => {
      if (message.keyChanged) io.err(`tincan: ${keyChangedLine(message.from, false, s)}`);
      io.out(args.json ? messageJson(message) : messageLine(message));
      seen++;
      if (seen === args.count) reachedCount();
    };
    const printUnread = async () => {
      while (unread !== undefined && wanted()) {
        const message = await unread.next();
        if (message === undefined) return;
        show(message);
        unread.printed(message);
      }
    };
    const print = () =>
      printing = printing.then(printUnread).catch((err: unknown) => {
        io.err(`tincan: cannot read the unread messages: ${(err as Error).message}`);
      });
    // Listening from the start: mail read during the login is printed first.
    const onEvent = (event: PeerEvent) => {
      if (event.type === "message") {
        try {
          unread?.note(event);
        } catch {
          if (wanted()) show(event); // it cannot be noted (a full disk): print it now
          return;
        }
        void print();
      } else if (
        event.type === "key-changed" || event.type === "notice" || event.type === "x3dh-session"
      ) {
        io.err(`tincan: ${formatEvent(event, s)}`);
        if (event.type === "notice" && event.fatal) {
          fatal = true;
          stoppedFatally();
        }
      }
    };
    const dir = args.acceptFiles;
    const services: { files?: ServiceFactory<FileTransfers> } = dir === undefined
      ? {}
      : { files: acceptingFiles({ dir, maxFileBytes: args.maxFileBytes }) };
    const started = await startCliPeer(args, {
      register: false,
      env,
      io,
      onEvent,
      services: (profile) => {
        // The profile is open and the peer not started yet: print what is left over first.
        unread = new UnreadMessages(profile);
        void print();
        return services;
      },
    });
    const files = started.peer.services.files;
    if (files) reportFiles(files, { json: args.json }, io);
    io.err(`tincan: listening as ${args.user} at ${started.rendezvous}; Ctrl-C to stop`);
    await Promise.race([aborted(signal), counted, stopped]);
    await printing.catch(() => {}); // a damaged database fails the printing too
    if (!fatal) await new Promise((resolve) => setTimeout(resolve, ACK_GRACE_MS));
    await started.stop();
    return fatal ? EXIT.failure : EXIT.ok;
  },
};
