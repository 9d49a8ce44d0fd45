/** `tincan send-file`: offer one file, wait until the recipient has it (or refuses), and exit. */
import { UsageError } from "../../errors.ts";
import type { FileEvent } from "../../peer/files/events.ts";
import { files as fileService } from "../../peer/files/file_transfers.ts";
import { formatBytes } from "../../units.ts";
import { progressBars } from "../file_progress.ts";
import type { Command, CommandContext, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import {
  checkRecipient,
  type Env,
  parseCount,
  parsePeerArgs,
  PEER_FLAGS_HELP,
  SEND_FLAGS,
  type SendTo,
} from "../peer_args.ts";
import { aborted } from "../signals.ts";
import { startCliPeer } from "../start_peer.ts";
import { parseFlags } from "../parse.ts";

/** How long send-file waits for the recipient to accept, by default, in seconds. */
export const DEFAULT_ACCEPT_TIMEOUT_S = 120;

/** `tincan send-file --help`. */
export const SEND_FILE_HELP =
  `Usage: tincan send-file --user NAME --to USER [--timeout S] [--rendezvous MULTIADDR] PATH

Logs in and offers the file PATH to USER (name, size, SHA-256 and a fresh file key, end-to-end
encrypted over your ratchet session). Once USER accepts (/accept in the chat, or
\`tincan listen --accept-files DIR\`), the data flows over its own encrypted stream; a progress
bar shows on a terminal. Prints "complete" and exits 0 once USER has verified the SHA-256 and
kept the file; exits 1 when USER rejects it, it fails, or nobody accepts within the timeout.
An interrupted transfer resumes where it stopped while both of you run tincan.

Options:
  --to USER               the recipient
  --timeout S             seconds to wait for USER to accept (default ${DEFAULT_ACCEPT_TIMEOUT_S})
${PEER_FLAGS_HELP}`;

/** Parsed `tincan send-file` arguments. */
export type SendFileArgs = Parsed<SendFileOptions>;

/** Whom `tincan send-file` offers which file to, and how long it waits for an answer. */
export type SendFileOptions = { readonly path: string } & SendTo;

/**
 * Parses the arguments of `tincan send-file`.
 * @throws UsageError for unknown flags, a missing or bad --user or --to, sending to yourself, not
 * exactly one PATH, or a bad --timeout.
 */
export function parseSendFileArgs(args: readonly string[], env: Env): SendFileArgs {
  const { values, positionals } = parseFlags("send-file", args, SEND_FLAGS, true);
  if (values.help) return { help: true };
  const peer = parsePeerArgs("send-file", values, env);
  const to = checkRecipient("send-file", values.to, peer.user, "a file");
  if (positionals.length !== 1 || positionals[0] === "") {
    throw new UsageError("send-file: give exactly one PATH");
  }
  const timeoutS = values.timeout === undefined
    ? DEFAULT_ACCEPT_TIMEOUT_S
    : parseCount("send-file", "--timeout", values.timeout, 1, 86_400);
  return { help: false, ...peer, to, path: positionals[0]!, timeoutMs: timeoutS * 1000 };
}

/**
 * `tincan send-file`: offers the file and waits for its outcome. Its run throws an Error saying
 * why the file did not arrive.
 */
export const sendFile: Command<SendFileOptions> = {
  name: "send-file",
  summary: "offer a file and wait until the recipient has it",
  help: SEND_FILE_HELP,
  catchSignals: true,
  parse: parseSendFileArgs,
  run: offerFile,
};

async function offerFile(
  parsed: SendFileOptions,
  { io, env, signal }: CommandContext,
): Promise<number> {
  const started = await startCliPeer(parsed, {
    register: false,
    env,
    io,
    services: () => ({ files: fileService() }),
  });
  try {
    const { files } = started.peer.services;
    if (io.errStream.isTerminal()) files.on(progressBars((text) => io.errStream.write(text)));
    let id = "";
    let settle: (outcome: FileEvent | "timeout" | "interrupted") => void = () => {};
    const outcome = new Promise<FileEvent | "timeout" | "interrupted">((r) => settle = r);
    const timer: { id?: ReturnType<typeof setTimeout> } = {};
    files.on((event) => {
      if (event.transfer.id !== id) return;
      if (event.type === "file-accepted") {
        clearTimeout(timer.id);
        io.err(`tincan: ${parsed.to} accepted ${event.transfer.name}`);
      }
      if (
        event.type === "file-complete" || event.type === "file-failed" ||
        event.type === "file-rejected"
      ) settle(event);
    });
    const offer = await files.offer(parsed.to, parsed.path);
    id = offer.id;
    io.err(
      `tincan: offered ${offer.name} (${formatBytes(offer.size)}) to ${parsed.to}; ` +
        `waiting for ${parsed.to} to accept`,
    );
    timer.id = setTimeout(() => settle("timeout"), parsed.timeoutMs);
    void aborted(signal).then(() => settle("interrupted"));
    const result = await outcome;
    clearTimeout(timer.id);
    if (result === "timeout") {
      throw new Error(`${parsed.to} did not accept within ${parsed.timeoutMs / 1000} s`);
    }
    if (result === "interrupted") throw new Error("interrupted");
    if (result.type === "file-complete") {
      io.out("complete");
      return EXIT.ok;
    }
    const reason = "reason" in result ? result.reason : "";
    throw new Error(`${offer.name} was not delivered to ${parsed.to}: ${reason}`);
  } finally {
    await started.stop();
  }
}
