/**
 * `tincan send`: send one message; exit once the recipient acknowledged it (delivered) or its
 * mailbox at the rendezvous accepted it (queued).
 */
import type { PeerEvent, Via } from "../../peer/events.ts";
import type { Peer } from "../../peer/peer.ts";
import type { Command, CommandContext, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import {
  checkRecipient,
  checkText,
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

/** How long `send` waits for the acknowledgement by default, in seconds. */
export const DEFAULT_SEND_TIMEOUT_S = 20;

/** `tincan send --help`. */
export const SEND_HELP =
  `Usage: tincan send --user NAME --to USER [--rendezvous MULTIADDR] [--timeout S] TEXT...

Logs in, sends TEXT (the words joined by spaces) end-to-end encrypted to USER and logs out.
Prints "delivered (direct)" or "delivered (relayed)" — how the message was carried, see
\`tincan route\` — and exits 0 once USER acknowledges it. When USER is offline (or does not
acknowledge in time) the same sealed message is left in USER's mailbox at the rendezvous:
tincan prints "queued" and exits 0; USER gets it at the next login, and your outbox marks it
delivered when USER's receipt comes back (seen the next time you log in).

An unknown USER, a mailbox that refuses the message (full, too large) or an interruption
exits 1; the message is then marked failed in your outbox and is NOT sent later.

Options:
  --to USER               the recipient
  --timeout S             seconds to wait for a direct acknowledgement before mailing
                          (default ${DEFAULT_SEND_TIMEOUT_S})
${PEER_FLAGS_HELP}`;

/** Parsed `tincan send` arguments. */
export type SendArgs = Parsed<SendOptions>;

/** Whom `tincan send` sends what to, and how long it waits for an acknowledgement. */
export type SendOptions = { readonly text: string } & SendTo;

/**
 * Parses the arguments of `tincan send`.
 * @throws UsageError for unknown flags, a missing or bad --user or --to, sending to yourself, an
 * empty or too long text, or a bad --timeout.
 */
export function parseSendArgs(args: readonly string[], env: Env): SendArgs {
  const { values, positionals } = parseFlags("send", args, SEND_FLAGS, true);
  if (values.help) return { help: true };
  const peer = parsePeerArgs("send", values, env);
  const to = checkRecipient("send", values.to, peer.user, "a message");
  const text = checkText("send", positionals.join(" "));
  const timeoutS = values.timeout === undefined
    ? DEFAULT_SEND_TIMEOUT_S
    : parseCount("send", "--timeout", values.timeout, 1, 3600);
  return { help: false, ...peer, to, text, timeoutMs: timeoutS * 1000 };
}

type Outcome =
  | { kind: "delivered"; via?: Via | undefined }
  | { kind: "queued" }
  | { kind: "unmailed"; reason: string }
  | { kind: "failed"; reason: string }
  | { kind: "timeout" }
  | { kind: "interrupted" };

/**
 * `tincan send`: sends one message and waits for its outcome. Its run throws an Error saying why
 * the message was not delivered (after marking it failed).
 */
export const send: Command<SendOptions> = {
  name: "send",
  summary: "send one message and wait until it is delivered",
  help: SEND_HELP,
  catchSignals: true,
  parse: parseSendArgs,
  run: sendMessage,
};

async function sendMessage(
  given: SendOptions,
  { io, env, signal }: CommandContext,
): Promise<number> {
  const started = await startCliPeer(given, { register: false, command: "send", env, io });
  const to = await recipientAtHome(started, "send", given.to, given.user, "a message");
  const parsed = { ...given, to };
  const { peer, profile } = started;
  let outcome: Outcome;
  let id = "";
  let online = false;
  try {
    const events: PeerEvent[] = [];
    let wake = () => {};
    const stopListening = peer.on((event) => {
      events.push(event);
      wake();
    });
    // Follow the recipient first: its presence says whether it was online when we gave up.
    await peer.follow([parsed.to]).catch(() => {});
    id = await peer.send(parsed.to, parsed.text);
    const messageId = id;
    const settled = new Promise<Outcome>((resolve) => {
      wake = () => {
        for (const event of events) {
          if (event.type === "delivered" && event.id === messageId) {
            resolve({ kind: "delivered", via: event.via });
          }
          if (event.type === "queued" && event.id === messageId) resolve({ kind: "queued" });
          if (event.type === "failed" && event.id === messageId) {
            resolve({ kind: "failed", reason: event.reason });
          }
          if (event.type === "key-changed" && event.username === parsed.to) {
            resolve({
              kind: "failed",
              reason: `${parsed.to}'s identity key changed; the message is held until you ` +
                `compare safety numbers, run /trust ${parsed.to} and /resend ${parsed.to} in ` +
                `\`tincan chat\``,
            });
          }
        }
      };
      wake();
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    outcome = await Promise.race([
      settled,
      new Promise<Outcome>((resolve) => {
        timer = setTimeout(() => resolve({ kind: "timeout" }), parsed.timeoutMs);
      }),
      aborted(signal).then((): Outcome => ({ kind: "interrupted" })),
    ]);
    clearTimeout(timer);
    online = peer.online().includes(parsed.to);
    if (outcome.kind === "timeout") {
      // Sent but not acknowledged in time: leave it in the recipient's mailbox instead.
      try {
        if (await peer.mailNow(messageId)) outcome = { kind: "queued" };
      } catch (err: unknown) {
        outcome = {
          kind: "unmailed",
          reason: `no acknowledgement within ${parsed.timeoutMs / 1000} s, and the mailbox ` +
            `did not take it: ${(err as Error).message}`,
        };
      }
    }
    stopListening();
  } finally {
    await peer.stop().catch(() => {});
  }
  try {
    if (outcome.kind === "timeout" || outcome.kind === "interrupted") {
      outcome = markFailed(peer, id, outcomeReason(outcome, parsed, online));
    } else if (outcome.kind === "unmailed") {
      outcome = markFailed(
        peer,
        id,
        `${outcome.reason}; the message is marked failed and will not be sent later`,
      );
    }
  } finally {
    profile.close();
  }
  if (outcome.kind === "delivered" || outcome.kind === "queued") {
    io.out(
      outcome.kind === "delivered" && outcome.via ? `delivered (${outcome.via})` : outcome.kind,
    );
    return EXIT.ok;
  }
  if (outcome.kind === "failed") {
    throw new Error(`not delivered to ${parsed.to}: ${outcome.reason}`);
  }
  throw new TypeError(`unexpected send outcome ${outcome.kind}`);
}

function outcomeReason(
  outcome: { kind: "timeout" | "interrupted" },
  args: { to: string; timeoutMs: number },
  online: boolean,
): string {
  const why = outcome.kind === "interrupted"
    ? "interrupted before an acknowledgement"
    : online
    ? `no acknowledgement within ${args.timeoutMs / 1000} s`
    : `${args.to} is offline and the message could not be left in the mailbox in time`;
  return `${why}; the message is marked failed and will not be sent later`;
}

/**
 * After the peer stopped: delivered or queued if the acknowledgement or the mailbox's acceptance
 * made it, else marked failed.
 */
function markFailed(peer: Pick<Peer, "markFailed">, id: string, reason: string): Outcome {
  const status = peer.markFailed(id, reason);
  return status === "failed" ? { kind: "failed", reason } : { kind: status };
}
