/**
 * The chat REPL's file commands — `/file <user> <path>`, `/accept [id]`, `/reject [id] [reason]`,
 * `/cancel [id]`, `/files` — as registry entries: parsed purely, run on a FileTransfers; and file
 * events shown as chat lines.
 */
import { FileTransferError } from "../../peer/files/errors.ts";
import type { FileEvent, TransferInfo } from "../../peer/files/events.ts";
import { formatBytes } from "../../units.ts";
import { normalizeName } from "../../peer/names.ts";
import { explained, sanitize, type Style } from "./format.ts";
import {
  type ArgKind,
  defineEntry,
  type ReplEntry,
  type ReplFiles,
  type ReplInput,
  type ReplUsage,
} from "./registry.ts";

/** What one file command line asks for. */
export type FileCommand =
  | { readonly kind: "file"; readonly user: string; readonly path: string }
  | { readonly kind: "accept"; readonly id?: string }
  | { readonly kind: "reject"; readonly id?: string; readonly reason?: string }
  | { readonly kind: "cancel"; readonly id?: string }
  | { readonly kind: "files" };

/** Hex digits of a transfer id shown to users (and enough to name it in /accept, /reject). */
export const SHORT_ID_CHARS = 4;

/** A word taken as a transfer id: 4 to 32 hex digits (shorter words are reasons). */
const ID = /^[0-9a-f]{4,32}$/i;

type Parsed = FileCommand | ReplUsage;

/** A file entry: its parser, run by runFileCommand on the REPL's file transfers. */
function fileEntry(
  name: string,
  aliases: readonly string[],
  usage: string,
  summary: string,
  parse: (input: ReplInput, usage: (why?: string) => ReplUsage) => Parsed,
  args: readonly ArgKind[] = ["file"],
): ReplEntry<FileCommand> {
  return defineEntry({
    name,
    aliases,
    usage,
    summary,
    args,
    parse: (input, _ctx, hint) => parse(input, hint),
    async run(command, repl) {
      if (repl.files === undefined) throw new FileTransferError("Files are not available here");
      const lines = await runFileCommand(repl.files, command, repl.style);
      if (lines.length > 0) repl.print(lines.join("\n"));
    },
  });
}

/** `/accept [id]` and `/cancel [id]`. */
const optionalId =
  (kind: "accept" | "cancel") =>
  ({ args }: ReplInput, usage: (why?: string) => ReplUsage): Parsed => {
    if (args.length === 0) return { kind };
    if (args.length > 1) return usage();
    return ID.test(args[0]!)
      ? { kind, id: args[0]!.toLowerCase() }
      : usage(`"${args[0]}" is not a transfer id`);
  };

/**
 * The file commands, in /help order. The path of /file is the rest of the line (spaces kept; one
 * pair of surrounding quotes removed). The first word after /reject is its id when it is 4 to 32
 * hex digits, else the reason starts there.
 */
export const FILE_COMMANDS: readonly ReplEntry<FileCommand>[] = [
  fileEntry(
    "file",
    ["sendfile"],
    "/file <user> <path>",
    "offer a file to <user> (end to end encrypted)",
    (input, usage) => {
      if (input.args.length < 2) return usage();
      let user: string;
      try {
        user = normalizeName(input.args[0]!);
      } catch (err: unknown) {
        return usage((err as Error).message);
      }
      const path = unquote(input.rest(2).trimStart());
      return path === "" ? usage() : { kind: "file", user, path };
    },
    ["user"],
  ),
  fileEntry(
    "accept",
    [],
    "/accept [id]",
    "accept a file offer (the only one when no id)",
    optionalId("accept"),
  ),
  fileEntry("reject", [], "/reject [id] [reason]", "decline a file offer", ({ args, rest }) => {
    if (args.length === 0) return { kind: "reject" };
    const hasId = ID.test(args[0]!);
    const reason = rest(hasId ? 2 : 1).trimStart();
    return {
      kind: "reject",
      ...(hasId ? { id: args[0]!.toLowerCase() } : {}),
      ...(reason === "" ? {} : { reason }),
    };
  }),
  fileEntry(
    "cancel",
    [],
    "/cancel [id]",
    "call off a transfer, either way, before it completes",
    optionalId("cancel"),
  ),
  fileEntry(
    "files",
    [],
    "/files",
    "your file transfers",
    ({ args }, usage) => args.length === 0 ? { kind: "files" } : usage(),
    [],
  ),
];

function unquote(text: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(text);
  return quoted ? quoted[2]! : text;
}

/**
 * Runs a file command; returns the lines to print. A FileTransferError (no such offer, not a
 * file …) becomes a line too.
 * @throws the peer's errors for anything else (the REPL prints them).
 */
export async function runFileCommand(
  files: ReplFiles,
  command: FileCommand,
  s: Style,
): Promise<string[]> {
  try {
    switch (command.kind) {
      case "file":
        await files.offer(command.user, command.path);
        return []; // the file-offered event says so
      case "accept":
        await files.accept(command.id);
        return []; // the file-accepted event says so
      case "reject":
        files.reject(command.id, command.reason);
        return [];
      case "cancel":
        await files.cancel(command.id);
        return []; // the file-failed event says so
      case "files":
        return listLines(files, s);
    }
  } catch (err: unknown) {
    if (err instanceof FileTransferError) return [s.yellow(sanitize(err.message))];
    throw err;
  }
}

function listLines(files: ReplFiles, s: Style): string[] {
  const all = files.list();
  if (all.length === 0) return ["No file transfers yet. /file <user> <path> to send one."];
  return all.map((t) => {
    const arrow = t.outgoing ? `→ ${t.peer}` : `← ${t.peer}`;
    const why = t.reason ? `: ${sanitize(t.reason)}` : "";
    const hint = !t.outgoing && t.status === "offered" ? ` — ${answerHint(t)}` : "";
    return `  ${s.dim(shortId(t))} ${arrow} ${s.bold(name(t))} (${formatBytes(t.size)}) ` +
      `${t.status}${why}${hint}`;
  });
}

/** The short id users type to name `transfer`. */
export function shortId(transfer: Pick<TransferInfo, "id">): string {
  return transfer.id.slice(0, SHORT_ID_CHARS);
}

const name = (t: TransferInfo) => sanitize(t.name);
const answerHint = (t: TransferInfo) => `/accept ${shortId(t)} or /reject ${shortId(t)}`;

/**
 * One chat line for a file event, or undefined for none (a fresh start). Progress lines say the
 * percentage; see `fileEventLines` for showing only every quarter.
 */
export function formatFileEvent(event: FileEvent, s: Style): string | undefined {
  const t = event.transfer;
  const size = formatBytes(t.size);
  const who = t.peer;
  switch (event.type) {
    case "file-offered":
      return t.outgoing
        ? s.dim(`Offered ${name(t)} (${size}) to ${who}; waiting for ${who} to accept.`)
        : s.cyan(`${who} offers ${s.bold(name(t))} (${size}) — ${answerHint(t)}`);
    case "file-accepted":
      return t.outgoing
        ? `${who} accepted ${name(t)}; sending.`
        : `Accepted ${name(t)} from ${who}; saving in ${sanitize(t.path)}.`;
    case "file-rejected": {
      const why = event.reason ? `: ${sanitize(event.reason)}` : "";
      return t.outgoing
        ? s.yellow(`${who} did not take ${name(t)}${why}`)
        : `Rejected ${name(t)} from ${who}.`;
    }
    case "file-started":
      return event.fromByte > 0
        ? s.dim(
          `Resuming ${name(t)} ${t.outgoing ? "to" : "from"} ${who} at ` +
            `${formatBytes(event.fromByte)} of ${size}.`,
        )
        : undefined;
    case "file-progress": {
      const percent = t.size <= 0 ? 100 : Math.floor((event.doneBytes / t.size) * 100);
      return s.dim(
        `${t.outgoing ? "→" : "←"} ${who} ${name(t)} ${percent}% ` +
          `(${formatBytes(event.doneBytes)} / ${size})`,
      );
    }
    case "file-interrupted":
      return s.yellow(
        `${name(t)} ${t.outgoing ? "to" : "from"} ${who} was interrupted: ` +
          `${sanitize(explained(event.reason))}${t.outgoing ? "" : "; it resumes when possible"}`,
      );
    case "file-complete":
      return s.green(
        t.outgoing
          ? `${who} received ${name(t)} (${size}, SHA-256 verified).`
          : `Received ${name(t)} (${size}, SHA-256 verified) from ${who} → ${sanitize(t.path)}`,
      );
    case "file-failed":
      return s.red(
        `${name(t)} ${t.outgoing ? "to" : "from"} ${who} failed: ${
          sanitize(explained(event.reason))
        }`,
      );
  }
}

/**
 * A file-event listener body for the chat: formatFileEvent, but progress only when a transfer
 * passes 25 %, 50 % or 75 % (the chat is no place for a bar); undefined when nothing to show.
 */
export function fileEventLines(s: Style): (event: FileEvent) => string | undefined {
  const shown = new Map<string, number>();
  return (event) => {
    const { id, size } = event.transfer;
    if (event.type === "file-progress") {
      const quarter = size <= 0 ? 4 : Math.floor((event.doneBytes / size) * 4);
      if (quarter <= (shown.get(id) ?? 0)) return undefined;
      shown.set(id, quarter);
    } else if (event.type !== "file-started") {
      shown.delete(id);
    }
    return formatFileEvent(event, s);
  };
}
