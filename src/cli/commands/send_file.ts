/** `tincan send-file`: offer one file, wait until the recipient has it (or refuses), and exit. */
import { UsageError } from "../../errors.ts";
import type { FileEvent } from "../../peer/files/events.ts";
import {
  files as fileService,
  type FileTransfers,
  type TransferListing,
} from "../../peer/files/file_transfers.ts";
import { OPEN_STATUSES } from "../../peer/files/transfer_context.ts";
import type { Peer } from "../../peer/peer.ts";
import { resolve } from "node:path";
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
import { recipientAtHome, startCliPeer } from "../start_peer.ts";
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
An interrupted transfer resumes where it stopped while both of you run tincan. Interrupted
(Ctrl-C) or timed out before USER accepted, the offer is withdrawn and USER is told; once the
data flows it is kept, and running the same send-file again resumes it (never a second offer).

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

/**
 * The open offer an earlier run made of the same file (`path`, `size`) to `to`, which a re-run
 * resumes instead of offering the file twice: pure.
 */
export function earlierOffer(
  transfers: readonly TransferListing[],
  to: string,
  path: string,
  size: number,
): TransferListing | undefined {
  const source = resolve(path);
  return transfers.findLast((t) =>
    t.outgoing && t.peer === to && t.path === source && t.size === size &&
    (OPEN_STATUSES as readonly string[]).includes(t.status)
  );
}

/** How long a withdrawn offer waits for its withdrawal to reach the recipient (or its mailbox). */
const WITHDRAW_WAIT_MS = 5_000;

async function offerFile(
  given: SendFileOptions,
  { io, env, signal }: CommandContext,
): Promise<number> {
  const started = await startCliPeer(given, {
    register: false,
    command: "send-file",
    env,
    io,
    services: () => ({ files: fileService() }),
  });
  const to = await recipientAtHome(started, "send-file", given.to, given.user, "a file");
  const parsed = { ...given, to };
  try {
    const { files } = started.peer.services;
    if (io.errStream.isTerminal()) files.on(progressBars((text) => io.errStream.write(text)));
    let id = "";
    let accepted = false;
    let settle: (outcome: FileEvent | "timeout" | "interrupted") => void = () => {};
    const outcome = new Promise<FileEvent | "timeout" | "interrupted">((r) => settle = r);
    const timer: { id?: ReturnType<typeof setTimeout> } = {};
    files.on((event) => {
      if (event.transfer.id !== id) return;
      if (event.type === "file-accepted") {
        clearTimeout(timer.id);
        accepted = true;
        io.err(`tincan: ${parsed.to} accepted ${event.transfer.name}`);
      }
      if (
        event.type === "file-complete" || event.type === "file-failed" ||
        event.type === "file-rejected"
      ) settle(event);
    });
    const { size } = await Deno.stat(parsed.path).catch(() => ({ size: -1 }));
    const earlier = earlierOffer(files.list(), parsed.to, parsed.path, size);
    const offer = earlier ?? await files.offer(parsed.to, parsed.path);
    id = offer.id;
    accepted = earlier?.status === "accepted";
    io.err(
      earlier
        ? `tincan: resuming the offer of ${offer.name} to ${parsed.to} an earlier run made ` +
          `(${accepted ? `${parsed.to} accepted it; sending` : `waiting for ${parsed.to}`})`
        : `tincan: offered ${offer.name} (${formatBytes(offer.size)}) to ${parsed.to}; ` +
          `waiting for ${parsed.to} to accept`,
    );
    if (!accepted) timer.id = setTimeout(() => settle("timeout"), parsed.timeoutMs);
    void aborted(signal).then(() => settle("interrupted"));
    const result = await outcome;
    clearTimeout(timer.id);
    if (result === "timeout" || result === "interrupted") {
      const why = result === "timeout"
        ? `${parsed.to} did not accept within ${parsed.timeoutMs / 1000} s`
        : "interrupted";
      if (accepted) {
        // The data was flowing: kept, so the same command resumes it.
        throw new Error(
          `${why}: ${offer.name} is not complete; run the same send-file again to resume it`,
        );
      }
      await withdraw(started.peer, files, id, parsed.to);
      throw new Error(`${why}: the offer of ${offer.name} is withdrawn (${parsed.to} is told)`);
    }
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

/**
 * Cancels our offer `id` so that no one accepts it once we are gone, and waits (a little) until
 * the withdrawal reached `to` or `to`'s mailbox; never throws.
 */
async function withdraw(
  peer: Pick<Peer, "on">,
  files: Pick<FileTransfers, "cancel">,
  id: string,
  to: string,
): Promise<void> {
  let done = () => {};
  const sent = new Promise<void>((resolve) => done = resolve);
  const stop = peer.on((event) => {
    if ((event.type === "delivered" || event.type === "queued") && event.to === to) done();
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await files.cancel(id);
    await Promise.race([sent, new Promise((r) => timer = setTimeout(r, WITHDRAW_WAIT_MS))]);
  } catch {
    // settled meanwhile: nothing to withdraw
  } finally {
    clearTimeout(timer);
    stop();
  }
}
