/**
 * How the chat shows things: pure functions from peer events and history lines to one line of
 * text each, with optional ANSI colours. Text from other users is made safe to print first.
 */
import type { PeerEvent } from "../../peer/events.ts";
import type { HistoryLine } from "../../peer/peer.ts";
import type { SessionProtocol } from "../../peer/store/contact_protocols.ts";
import { explainMessage } from "../explain_error.ts";

/** Text decorations; identity functions when colours are off. */
export interface Style {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly cyan: (s: string) => string;
  readonly inverse: (s: string) => string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

/** ANSI colours when `color`, plain text otherwise. */
export function style(color: boolean): Style {
  if (!color) {
    return {
      bold: plain,
      dim: plain,
      red: plain,
      green: plain,
      yellow: plain,
      cyan: plain,
      inverse: plain,
    };
  }
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    inverse: sgr(7, 27),
  };
}

/** Whether to colour output: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
export function useColor(isTerminal: boolean, noColor: string | undefined): boolean {
  return isTerminal && (noColor === undefined || noColor === "");
}

/**
 * `text` safe to print on a terminal: control characters (escape sequences, carriage returns,
 * newlines) and bidirectional overrides become U+FFFD, so a message cannot rewrite the screen.
 */
export function sanitize(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, "\ufffd");
}

/** `reason` with a library's raw words replaced by a sentence (explain_error.ts). */
export const explained = (reason: string): string => explainMessage(reason) ?? reason;

const pad = (n: number) => String(n).padStart(2, "0");

/** HH:MM of `ms` in local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** YYYY-MM-DD HH:MM:SS of `ms` in local time. */
export function timestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** YYYY-MM-DD of `ms` in local time: the day a line belongs to. */
export function day(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The line shown before the first line of a new day. */
export function dateLine(ms: number, s: Style): string {
  return s.dim(`--- ${WEEKDAYS[new Date(ms).getDay()]}, ${day(ms)} ---`);
}

/** A message's text for display: each of its lines made safe, later lines indented. */
export function messageBody(text: string): string {
  return text.split(/\r?\n/).map(sanitize).join("\n    ");
}

/** What a /me message starts with (shown as "* alice waves"). */
const ME = "/me ";

/** One chat line, yours or theirs. */
export interface ChatLine {
  readonly sentAt: number;
  readonly from: string;
  readonly text: string;
  /** The #room it was said in. */
  readonly room?: string;
  /** For your direct messages: to whom. */
  readonly to?: string;
  /** It mentions you: shown highlighted. */
  readonly mention?: boolean;
  /** Said by you. */
  readonly own?: boolean;
}

/**
 * `[HH:MM] bob: text`, `[HH:MM] alice → bob: text` (yours), `[HH:MM] #dev bob: text`, and
 * `[HH:MM] * bob waves` for /me.
 */
export function chatLine(line: ChatLine, s: Style): string {
  const time = s.dim(`[${clock(line.sentAt)}]`);
  const where = line.room === undefined ? "" : `${s.bold(line.room)} `;
  const name = line.own ? s.bold(line.from) : s.bold(s.cyan(line.from));
  const to = line.to === undefined ? "" : ` → ${line.to}`;
  const me = line.text.startsWith(ME);
  const body = messageBody(me ? line.text.slice(ME.length) : line.text);
  const text = line.mention ? s.bold(s.yellow(body)) : body;
  return me ? `${time} ${where}* ${name}${to} ${text}` : `${time} ${where}${name}${to}: ${text}`;
}

/** The loud line shown when `username`'s identity key changed. */
export function keyChangedLine(username: string, blocked: boolean, s: Style): string {
  const what = blocked
    ? `you had verified ${username}, so messages to ${username} are BLOCKED`
    : `messages to ${username} are HELD`;
  return s.bold(s.red(
    `!!! WARNING: ${username}'s identity key CHANGED. Someone may be impersonating ${username}. ` +
      `${what} until you compare fingerprints (/trust ${username} shows the new one) and trust ` +
      `it; held messages are then yours to /resend or /discard.`,
  ));
}

/** The note under a message whose send time was far off (so it is shown as it arrived). */
export function clockNoteLine(from: string, note: string, s: Style): string {
  return s.dim(s.yellow(`  ! shown as it arrived: ${sanitize(from)}'s message — ${note}`));
}

/**
 * A message from a key not yet trusted as its sender: behind a banner, and not shown as from
 * the contact (`bob?`), since it may be from someone else.
 */
export function untrustedMessageLines(
  event: Extract<PeerEvent, { type: "message" }>,
  s: Style,
): string {
  const who = event.from;
  const banner = s.bold(s.red(
    `!!! UNTRUSTED: the next message comes from a NEW key claiming to be ${who}. It may not be ` +
      `${who}. Compare safety numbers (/trust ${who}) before you believe it.`,
  ));
  const line = `${s.dim(`[${clock(event.sentAt)}]`)} ${s.bold(s.red(`${who}?`))}: ${
    messageBody(event.text)
  }`;
  return `${keyChangedLine(who, false, s)}\n${banner}\n${line}`;
}

/** What a presence event says of its user: "is online", "is away: gone fishing", "is back" … */
function presenceText(event: Extract<PeerEvent, { type: "presence" }>): string {
  const away = event.away ? sanitize(event.away) : "";
  if (!event.online) return "went offline";
  if (event.awayChanged) return away ? `is away: ${away}` : "is back";
  return away ? `is online (away: ${away})` : "is online";
}

/** One line for a peer event, or undefined for events not shown. */
export function formatEvent(event: PeerEvent, s: Style): string | undefined {
  switch (event.type) {
    case "message": {
      const line = event.trusted
        ? chatLine({ sentAt: event.sentAt, from: event.from, text: event.text }, s)
        : untrustedMessageLines(event, s);
      return event.clockNote ? `${line}\n${clockNoteLine(event.from, event.clockNote, s)}` : line;
    }
    case "delivered":
      return s.dim(s.green(`  ✓ delivered to ${event.to}${event.via ? ` (${event.via})` : ""}`));
    case "queued":
      return s.dim(`  … ${event.to} is offline: queued in ${event.to}'s mailbox at the rendezvous`);
    case "failed":
      return s.red(`  ✗ not delivered to ${event.to}: ${sanitize(explained(event.reason))}`);
    case "presence":
      return s.dim(`* ${event.username} ${presenceText(event)}`);
    case "key-changed": {
      const line = keyChangedLine(event.username, event.blocked, s);
      return event.detail === undefined
        ? line
        : `${line}\n${s.bold(s.red(`!!! ${sanitize(event.detail)}`))}`;
    }
    case "notice":
      return s.yellow(`* ${sanitize(event.text)}`);
    case "x3dh-session":
      return x3dhSessionLine(event.username, event.downgrade, s);
  }
}

/** The line shown when a new session with `username` is X3DH (no post-quantum keys). */
export function x3dhSessionLine(username: string, downgrade: boolean, s: Style): string {
  return downgrade
    ? s.bold(s.red(
      `!!! WARNING: the new session with ${username} is X3DH, WITHOUT post-quantum keys, though ` +
        `${username} published them before: an older tincan on ${username}'s side, or a ` +
        `rendezvous stripping them. Compare safety numbers (/verify ${username}) if unexpected.`,
    ))
    : s.yellow(
      `* the session with ${username} uses X3DH: ${username} publishes no post-quantum keys ` +
        `(an older tincan), so it is not protected against a future quantum computer`,
    );
}

/** How /verify names a session's key agreement (Peer.sessionProtocol). */
export function protocolLine(protocol: SessionProtocol): string {
  switch (protocol) {
    case "pqxdh":
      return "Session setup: PQXDH (post-quantum, ML-KEM-768)";
    case "x3dh":
      return "Session setup: X3DH (no post-quantum keys published)";
    case "x3dh-downgraded":
      return "Session setup: X3DH, DOWNGRADED (post-quantum keys were published before)";
    case "none":
      return "Session setup: no session yet";
  }
}

/** How a sender is named whose key is not trusted as that user yet: it may be someone else. */
export function untrustedName(username: string): string {
  return `${username}? (UNTRUSTED new key)`;
}

/** What /history says after one of our messages, by its outbox state. */
export function deliveryNote(delivery: NonNullable<HistoryLine["delivery"]>, s: Style): string {
  switch (delivery.status) {
    case "delivered":
      return s.green("✓ delivered");
    case "queued":
      return s.dim("… queued");
    case "failed":
      return s.red(`✗ failed${delivery.error ? `: ${sanitize(explained(delivery.error))}` : ""}`);
    case "held":
      return s.yellow("held: their key changed");
    case "pending":
    case "sent":
      return s.dim("… sending");
  }
}

/** One line of /history: ours end with their delivery state; broadcasts say so. */
export function formatHistoryLine(line: HistoryLine, self: string, s: Style): string {
  const from = line.outgoing ? self : line.untrusted ? untrustedName(line.peer) : line.peer;
  const to = line.broadcast ? "everyone" : line.outgoing ? line.peer : self;
  const text = `${s.dim(`[${timestamp(line.sentAt)}]`)} ${s.bold(from)} → ${to}: ${
    messageBody(line.text)
  }`;
  const via = line.broadcast && line.outgoing ? ` ${s.dim(`(to ${line.peer})`)}` : "";
  return line.delivery ? `${text}${via}  ${deliveryNote(line.delivery, s)}` : `${text}${via}`;
}

/** The /verify answer: the safety number, the session's key agreement, what to do with them. */
export function formatSafetyNumber(
  user: string,
  number: string,
  s: Style,
  protocol?: SessionProtocol,
): string[] {
  const groups = number.split(" ");
  return [
    `Safety number with ${user}:`,
    `  ${s.bold(groups.slice(0, 6).join(" "))}`,
    `  ${s.bold(groups.slice(6).join(" "))}`,
    ...(protocol ? [protocolLine(protocol)] : []),
    `Compare it with ${user} in person or over a channel you trust. If it matches, type ` +
    `/verify ${user} yes`,
  ];
}
