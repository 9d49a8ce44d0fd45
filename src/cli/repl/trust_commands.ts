/**
 * The chat REPL's trust commands as registry entries — /verify, /trust, /resend, /discard,
 * /whois. Each decision is bound to the number the user saw: `/verify bob` shows the safety
 * number and `/verify bob yes` confirms that number (not whatever is current by then); `/trust bob`
 * shows the new key's fingerprint and `/trust bob yes` (or `/trust bob <fingerprint>`) trusts that
 * key only. Trusting sends nothing: the messages held meanwhile are shown, and the user resends
 * or discards them (`/resend bob`, `/discard bob`).
 */
import type { HeldMessage, Whois } from "../../peer/contact_trust.ts";
import { withUser } from "./commands.ts";
import { formatSafetyNumber, sanitize, type Style, timestamp } from "./format.ts";
import {
  defineEntry,
  type EntrySpec,
  type ReplContext,
  type ReplEntry,
  type ReplRuntime,
  type ReplUsage,
} from "./registry.ts";

/** What one trust command line asks for. `seen` is a typed number, or "yes" for the one shown. */
export type TrustCommand =
  | { readonly kind: "verify"; readonly user: string; readonly seen?: string }
  | { readonly kind: "trust"; readonly user: string; readonly seen?: string }
  | { readonly kind: "resend"; readonly user: string }
  | { readonly kind: "discard"; readonly user: string }
  | { readonly kind: "whois"; readonly user: string };

type Parsed = TrustCommand | ReplUsage | undefined;

/** The numbers last shown to the user, per peer and command: what "yes" confirms. */
const shown = new WeakMap<object, Map<string, string>>();

function remember(repl: ReplRuntime, key: string, number: string): void {
  let numbers = shown.get(repl.peer);
  if (numbers === undefined) shown.set(repl.peer, numbers = new Map());
  numbers.set(key, number);
}

function recall(repl: ReplRuntime, key: string): string | undefined {
  return shown.get(repl.peer)?.get(key);
}

/** A trust entry: its parser, run by runTrustCommand; its first argument is a user (Tab). */
function entry(
  name: string,
  usage: string,
  summary: string,
  parse: EntrySpec<TrustCommand>["parse"],
): ReplEntry<TrustCommand> {
  return defineEntry({ name, usage, summary, args: ["user"], parse, run: runTrustCommand });
}

/**
 * `/<kind> <user> [yes | the digits shown]`: the digits are `lengths` long in all (spaces
 * between groups allowed).
 */
const confirmable = (kind: "verify" | "trust", lengths: readonly number[]) =>
(
  { args }: { args: readonly string[] },
  ctx: ReplContext,
  usage: (why?: string) => ReplUsage,
): Parsed => {
  const [user, ...rest] = args;
  if (user === undefined) return usage();
  return withUser(user, ctx, usage, (u) => {
    if (rest.length === 0) return { kind, user: u };
    if (rest.length === 1 && rest[0]!.toLowerCase() === "yes") {
      return { kind, user: u, seen: "yes" };
    }
    const digits = rest.join("");
    if (!/^\d+$/.test(digits) || !lengths.includes(digits.length)) {
      return usage(`type the ${lengths.join(" or ")} digits shown, or yes`);
    }
    return { kind, user: u, seen: rest.join(" ") };
  });
};

/** `/<kind> <user>`. */
const userOnly = (kind: "resend" | "discard" | "whois") =>
(
  { args }: { args: readonly string[] },
  ctx: ReplContext,
  usage: (why?: string) => ReplUsage,
): Parsed =>
  args.length !== 1 ? usage() : withUser(args[0]!, ctx, usage, (user) => ({ kind, user }));

/** The trust commands, in /help order. */
export const TRUST_COMMANDS: readonly ReplEntry<TrustCommand>[] = [
  entry(
    "verify",
    "/verify <user> [yes]",
    "show the safety number; `yes` marks <user> verified for that number",
    confirmable("verify", [60]),
  ),
  entry(
    "trust",
    "/trust <user> [yes]",
    "show <user>'s new key; `yes` (or its fingerprint) trusts that key",
    confirmable("trust", [30, 60]),
  ),
  entry(
    "resend",
    "/resend <user>",
    "send the messages held while <user>'s key changed",
    userOnly("resend"),
  ),
  entry(
    "discard",
    "/discard <user>",
    "drop the messages held while <user>'s key changed",
    userOnly("discard"),
  ),
  entry(
    "whois",
    "/whois <user>",
    "<user>'s certificate, key fingerprint and key log",
    userOnly("whois"),
  ),
];

/** The held-messages lines: each message, then what to do with them. */
export function heldLines(user: string, held: readonly HeldMessage[], s: Style): string[] {
  if (held.length === 0) return [`No messages to ${user} are held.`];
  return [
    `${held.length} message(s) to ${user} written before the key change are held (not sent):`,
    ...held.map((m) =>
      `  ${s.dim(`[${timestamp(m.writtenAt)}]`)} ${
        m.kind === "" ? sanitize(m.text) : s.dim(`(a ${sanitize(m.kind)} message)`)
      }`
    ),
    `They were written for the old key. /resend ${user} sends them to the new key; ` +
    `/discard ${user} drops them.`,
  ];
}

/** The /whois answer. */
export function whoisLines(who: Whois, s: Style): string[] {
  const { username: user, certified, pinned } = who;
  const lines = [
    `${s.bold(user)}: the rendezvous certifies key ${certified.fingerprint} ` +
    `(${certified.standing}), issued ${timestamp(certified.issuedAt)}, ` +
    `expires ${timestamp(certified.expiresAt)}`,
  ];
  if (pinned !== undefined) {
    lines.push(
      `  pinned key ${pinned.fingerprint}, first seen ${timestamp(pinned.firstSeen)}` +
        (pinned.verified ? ", verified" : ", not verified"),
    );
  }
  if (who.pendingFingerprint !== undefined) {
    lines.push(s.red(`  new key ${who.pendingFingerprint}: not trusted (/trust ${user})`));
  }
  lines.push(
    `  key log (${who.keyLog.length} entr${who.keyLog.length === 1 ? "y" : "ies"}, ` +
      `${Math.max(0, who.keyLog.length - 1)} key change(s)): ` +
      (who.keyLogVerified ? s.green("verified") : s.red("NOT VERIFIED")),
  );
  for (const e of who.keyLog) {
    lines.push(`    #${e.seq} ${timestamp(e.at)} ${e.fingerprint}`);
  }
  if (who.problem !== undefined) lines.push(s.bold(s.red(`  !!! ${who.problem.message}`)));
  return lines;
}

/**
 * Runs a trust command on the REPL's peer.
 * @throws the peer's errors (not a contact, a number that does not match …); the REPL prints them.
 */
export async function runTrustCommand(command: TrustCommand, repl: ReplRuntime): Promise<void> {
  const { peer, style: s } = repl;
  const { user } = command;
  switch (command.kind) {
    case "verify": {
      if (command.seen === undefined) {
        const number = await peer.safetyNumber(user);
        remember(repl, `verify ${user}`, number);
        return repl.print(
          formatSafetyNumber(user, number, s, peer.sessionProtocol(user)).join("\n"),
        );
      }
      const seen = command.seen === "yes" ? recall(repl, `verify ${user}`) : command.seen;
      if (seen === undefined) return repl.print(`Type /verify ${user} first to see the number.`);
      peer.markVerified(user, seen);
      return repl.print(s.green(
        `${user} is verified: if ${user}'s key ever changes, messages to ` +
          `${user} are blocked until you /trust again.`,
      ));
    }
    case "trust": {
      const pending = peer.pendingKey(user);
      if (pending === undefined) {
        return repl.print(`${user}'s key has not changed: there is nothing to trust.`);
      }
      if (command.seen === undefined) {
        remember(repl, `trust ${user}`, pending.fingerprint);
        return repl.print([
          `${user}'s NEW key has the fingerprint ${s.bold(pending.fingerprint)}`,
          `(safety number with it: ${pending.safetyNumber}).`,
          `Ask ${user} over a channel you trust (\`tincan whoami\` shows it). If it matches, ` +
          `type /trust ${user} yes`,
        ].join("\n"));
      }
      const seen = command.seen === "yes" ? recall(repl, `trust ${user}`) : command.seen;
      if (seen === undefined) return repl.print(`Type /trust ${user} first to see the key.`);
      peer.trust(user, seen);
      const held = await peer.heldMessages(user);
      return repl.print(
        [`Trusted ${user}'s new key.`, ...(held.length ? heldLines(user, held, s) : [])].join(
          "\n",
        ),
      );
    }
    case "resend": {
      const sent = peer.resendHeld(user);
      if (sent === undefined) {
        return repl.print(`${user}'s new key is not trusted: /trust ${user} first.`);
      }
      return repl.print(`Sending ${sent} held message(s) to ${user}'s new key.`);
    }
    case "discard":
      return repl.print(`Discarded ${peer.discardHeld(user)} held message(s) to ${user}.`);
    case "whois":
      return repl.print(whoisLines(await peer.whois(user), s).join("\n"));
  }
}
