/** The flags every peer command shares (--user, --profile, --rendezvous): pure parsing. */
import { UsageError } from "../errors.ts";
import { parseFlags } from "./parse.ts";
import { parseMultiaddr } from "../net/address.ts";
import { defaultProfileDir } from "../peer/profile.ts";
import { normalizeUsername } from "../protocol/username.ts";
import { canonicalName, normalizeName } from "../peer/names.ts";

/** Reads an environment variable; commands pass `Deno.env.get`, tests pass a map. */
export type Env = (name: string) => string | undefined;

/** node:util parseArgs options of the shared flags. */
export const PEER_FLAGS = {
  user: { type: "string", short: "u" },
  profile: { type: "string" },
  rendezvous: { type: "string" },
  listen: { type: "string", multiple: true },
} as const;

/** node:util parseArgs options of the commands that send something to one user. */
export const SEND_FLAGS = {
  ...PEER_FLAGS,
  to: { type: "string" },
  timeout: { type: "string" },
} as const;

/** Who sends to whom, and how long the command waits for an answer. */
export type SendTo = { readonly to: string; readonly timeoutMs: number } & PeerArgs;

/** Help lines of the shared flags. */
export const PEER_FLAGS_HELP =
  `  -u, --user NAME         your username (3 to 32 of a-z, 0-9, "_", "-")
  --profile DIR           your profile directory
                          (default $XDG_DATA_HOME/tincan/NAME, on Windows
                          %LOCALAPPDATA%\\tincan\\NAME, else ~/.local/share/tincan/NAME)
  --rendezvous MULTIADDR  the rendezvous (default: TINCAN_RENDEZVOUS, else the one this
                          profile used last, else /ip4/127.0.0.1/tcp/4001)
  --listen MULTIADDR      where to listen for other peers; repeatable (default every IPv4
                          and IPv6 interface on a free port: /ip4/0.0.0.0/tcp/0, /ip6/::/tcp/0)
  -h, --help              show this help

The password comes from TINCAN_PASSWORD, or is asked for on the terminal.`;

/** Who runs the command, and where. */
export interface PeerArgs {
  /** The canonical username. */
  readonly user: string;
  readonly profileDir: string;
  /** The --rendezvous flag, if given (the final choice needs the profile: chooseRendezvous). */
  readonly rendezvous: string | undefined;
  /** The --listen flags, if given. */
  readonly listen?: readonly string[];
}

/**
 * Validates the shared flags of `command`.
 * @throws UsageError when --user is missing or invalid, --rendezvous is not a multiaddr, or no
 * profile directory can be found.
 */
export function parsePeerArgs(
  command: string,
  values: {
    user?: string | undefined;
    profile?: string | undefined;
    rendezvous?: string;
    listen?: string[] | undefined;
  },
  env: Env,
): PeerArgs {
  const listen = values.listen?.map((a) => checkAddress(command, "--listen", a));
  return {
    ...(listen?.length ? { listen } : {}),
    user: requireUser(command, values.user),
    profileDir: profileDir(command, values.user, values.profile, env),
    rendezvous: values.rendezvous === undefined
      ? undefined
      : checkRendezvousAddress(command, "--rendezvous", values.rendezvous),
  };
}

/**
 * The canonical form of --user.
 * @throws UsageError when it is missing or breaks the username rules.
 */
export function requireUser(command: string, user: string | undefined): string {
  if (user === undefined || user === "") {
    throw new UsageError(`${command}: --user NAME is required`);
  }
  return checkUsername(command, user);
}

/**
 * The canonical form of a username given on the command line.
 * @throws UsageError when it breaks the username rules.
 */
export function checkUsername(command: string, name: string): string {
  return usage(command, () => normalizeUsername(name));
}

/**
 * The folded form of a user named on the command line: `bob`, or `bob@work` for a user of a
 * federated server.
 * @throws UsageError when it breaks the username or server name rules.
 */
export function checkUserName(command: string, name: string): string {
  return usage(command, () => normalizeName(name));
}

/** `check()`, its RangeError a UsageError of `command`. */
function usage(command: string, check: () => string): string {
  try {
    return check();
  } catch (err: unknown) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
}

/**
 * The --to recipient of `command`, canonical, and not `self`; `what` names what is sent.
 * @throws UsageError when --to is missing, not a valid username, or `self`.
 */
export function checkRecipient(
  command: string,
  to: string | undefined,
  self: string,
  what: string,
): string {
  if (to === undefined || to === "") throw new UsageError(`${command}: --to USER is required`);
  return notSelf(command, checkUserName(command, to), self, what);
}

/**
 * The --to recipient of `command` as stored once the home's name `home` is known after login
 * (`alice@<home>` is `alice`), and not `self`: what checkRecipient cannot tell before login.
 * @throws UsageError when it names `self` (or is not a valid name).
 */
export function checkRecipientAtHome(
  command: string,
  to: string,
  self: string,
  home: string | undefined,
  what: string,
): string {
  return notSelf(command, usage(command, () => canonicalName(to, home)), self, what);
}

function notSelf(command: string, name: string, self: string, what: string): string {
  if (name === self) throw new UsageError(`${command}: you cannot send ${what} to yourself`);
  return name;
}

/**
 * The profile directory: --profile, else the default for the user.
 * @throws UsageError when neither --profile, XDG_DATA_HOME nor HOME says where.
 */
export function profileDir(
  command: string,
  user: string | undefined,
  flag: string | undefined,
  env: Env,
): string {
  if (flag !== undefined) {
    if (flag === "") throw new UsageError(`${command}: --profile needs a directory`);
    return flag;
  }
  try {
    return defaultProfileDir(normalizeUsername(user ?? ""), env);
  } catch (err: unknown) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
}

/**
 * Checks that `value` of `flag` is a multiaddr; returns it.
 * @throws UsageError naming the flag when it is not.
 */
export function checkAddress(command: string, flag: string, value: string): string {
  try {
    parseMultiaddr(value);
    return value;
  } catch (err: unknown) {
    throw new UsageError(`${command}: ${flag} ${(err as Error).message}`);
  }
}

const HOSTS = new Set(["ip4", "ip6", "dns", "dns4", "dns6"]);

/**
 * Checks that `value` of `flag` is a rendezvous address: a host (/ip4, /ip6, /dns…), /tcp with a
 * port, and optionally /p2p/<PeerId> — nothing a dial would later refuse (/udp, no port …).
 * Returns it.
 * @throws UsageError naming the flag and saying what a good address looks like.
 */
export function checkRendezvousAddress(command: string, flag: string, value: string): string {
  checkAddress(command, flag, value);
  const parts = parseMultiaddr(value).getComponents();
  const [host, tcp, p2p, ...rest] = parts;
  const port = Number(tcp?.value);
  const fine = host !== undefined && HOSTS.has(host.name) && tcp?.name === "tcp" &&
    Number.isInteger(port) && port >= 1 && port <= 65535 &&
    (p2p === undefined || p2p.name === "p2p") && rest.length === 0;
  if (!fine) {
    throw new UsageError(
      `${command}: ${flag} ${value} is not a rendezvous address: it needs a host, TCP and a port, ` +
        `like /ip4/203.0.113.7/tcp/4001 or /dns4/chat.example.org/tcp/4001, optionally ` +
        `followed by /p2p/<PeerId>`,
    );
  }
  return value;
}

/**
 * Parses a whole number from `min` to `max` given for `flag`.
 * @throws UsageError when it is not one.
 */
export function parseCount(
  command: string,
  flag: string,
  value: string,
  min: number,
  max: number,
): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${command}: ${flag} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** The longest message text the CLI sends, in UTF-8 bytes (an envelope holds 128 KiB). */
export const MAX_TEXT_BYTES = 64 * 1024;

/**
 * Checks a message text: not blank, at most MAX_TEXT_BYTES. Returns it unchanged.
 * @throws UsageError saying which.
 */
export function checkText(command: string, text: string): string {
  if (text.trim() === "") throw new UsageError(`${command}: the message is empty`);
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_TEXT_BYTES) {
    throw new UsageError(
      `${command}: the message is ${bytes} bytes; the limit is ${MAX_TEXT_BYTES}`,
    );
  }
  return text;
}

/**
 * Parses the arguments of a command that takes only the shared flags (chat, register).
 * @throws UsageError for unknown flags, a missing or bad --user, or a bad --rendezvous.
 */
export function parseOnlyPeerArgs(
  command: string,
  args: readonly string[],
  env: Env,
): { readonly help: true } | (PeerArgs & { readonly help: false }) {
  const { values } = parseFlags(command, args, PEER_FLAGS);
  if (values.help) return { help: true };
  return { help: false, ...parsePeerArgs(command, values, env) };
}
