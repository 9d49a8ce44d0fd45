/**
 * The CLI's peer start-up, in one place: the profile, the rendezvous choice, the password, and
 * starting the peer.
 */
import { join } from "node:path";
import { RemoteError } from "../errors.ts";
import type { PeerListener } from "../peer/events.ts";
import { createPeer, type NoServices, type Peer } from "../peer/peer.ts";
import type { ServiceFactories } from "../peer/service.ts";
import { openProfile, type Profile } from "../peer/profile.ts";
import { LOCK_FILE, lockProfile } from "../peer/profile_lock.ts";
import {
  chooseRendezvous,
  RendezvousPinError,
  savedRendezvous,
  saveRendezvous,
} from "../peer/rendezvous_link.ts";
import { registrations } from "../peer/registrations.ts";
import { ProfileError } from "../peer/profile_errors.ts";
import type { CliIO } from "./io.ts";
import {
  checkRecipientAtHome,
  checkRendezvousAddress,
  type Env,
  type PeerArgs,
} from "./peer_args.ts";
import { readPassword } from "./password.ts";

/** A profile directory with no identity in it. */
export class NoProfileError extends Error {
  override name = "NoProfileError";
}

/** A peer started by a command, with its profile and the rendezvous it uses. */
export interface CliPeer<F extends ServiceFactories = NoServices> {
  readonly peer: Peer<F>;
  readonly profile: Profile;
  /** The rendezvous address used (as chosen, without the /p2p/ the pin adds). */
  readonly rendezvous: string;
  /** This start registered the account (its first login there). */
  readonly registered: boolean;
  /** Logs out, stops the node, closes the profile and releases its lock. */
  stop(): Promise<void>;
}

/** How a command starts its peer. */
export interface StartOptions<F extends ServiceFactories = NoServices> {
  /** Register the account on first use (chat, register); others need an existing profile. */
  readonly register: boolean;
  /**
   * Ask for the password twice on a terminal; default: when registering and this profile has
   * never registered (a new profile is always asked twice).
   */
  readonly confirmPassword?: boolean;
  /** The command's name, written in the profile lock ("in use by process 1234 (tincan chat)"). */
  readonly command?: string;
  readonly env: Env;
  /** Where the password prompt reads and writes, when TINCAN_PASSWORD is not set. */
  readonly io: CliIO;
  /**
   * Called with the chosen rendezvous address before connecting (chat starts its embedded
   * rendezvous there); may return the address to dial instead (that rendezvous by its /p2p/).
   */
  readonly beforeConnect?: (rendezvous: string) => Promise<string | undefined>;
  /** Receives the peer's events from the start (mail read at login included). */
  readonly onEvent?: PeerListener;
  /** Called with the peer before it starts (to listen to its services from the start too). */
  readonly beforeStart?: (peer: Peer<F>) => void;
  /** The peer's services (rooms, files), made for the opened profile. */
  readonly services?: (profile: Profile) => F;
}

/**
 * Throws unless `dir` holds a profile (an identity key); never creates one.
 * @throws NoProfileError saying how to make one.
 */
export async function requireProfile(dir: string, user: string): Promise<void> {
  try {
    await Deno.stat(join(dir, "identity.key"));
  } catch (err: unknown) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    throw new NoProfileError(
      `there is no tincan profile for ${user} in ${dir}: ` +
        `run \`tincan register --user ${user}\` (or \`tincan chat --user ${user}\`) first, ` +
        `or pass --profile DIR`,
    );
  }
}

/**
 * Opens the profile (holding its lock), picks the rendezvous, reads the password and starts the
 * peer. A new profile is made only after its password was entered (twice) and kept only once its
 * registration and first login succeeded. The rendezvous becomes the profile's default only
 * after a successful login.
 * @throws NoProfileError (without `register`) when there is no profile; ProfileInUseError when
 * another process runs on it; UsageError for a bad or mistyped password; RemoteError when the
 * rendezvous refuses; RendezvousPinError; Error naming the rendezvous when it cannot be reached.
 */
export async function startCliPeer<F extends ServiceFactories = NoServices>(
  args: PeerArgs,
  options: StartOptions<F>,
): Promise<CliPeer<F>> {
  const envAddress = options.env("TINCAN_RENDEZVOUS") || undefined;
  const fromEnv = envAddress &&
    checkRendezvousAddress(options.command ?? "tincan", "TINCAN_RENDEZVOUS", envAddress);
  const isNew = await requireProfile(args.profileDir, args.user).then(() => false, (err) => {
    if (err instanceof NoProfileError && options.register) return true;
    throw err;
  });
  // A new registration always asks twice, before anything is written.
  const earlyPassword = isNew
    ? await readPassword(options, args.user, { confirm: true })
    : undefined;
  const createdDir = isNew && !await exists(args.profileDir);
  await Deno.mkdir(args.profileDir, { recursive: true, mode: 0o700 });
  const lock = await lockProfile(args.profileDir, args.user, {
    pid: Deno.pid,
    command: `tincan ${options.command ?? ""}`.trim(),
  });
  let profile: Profile | undefined;
  try {
    profile = await openProfile(args.profileDir);
    const before = registrations(profile.db, args.user);
    const rendezvous = chooseRendezvous(args.rendezvous, fromEnv, savedRendezvous(profile.db));
    const confirm = options.confirmPassword ?? (options.register && before.length === 0);
    const password = earlyPassword ?? await readPassword(options, args.user, { confirm });
    const dial = await options.beforeConnect?.(rendezvous) ?? rendezvous;
    const peer = createPeer<F>({
      profile,
      username: args.user,
      password,
      rendezvous: dial,
      register: options.register,
      ...(args.listen ? { listen: args.listen } : {}),
      ...(options.services ? { services: options.services(profile) } : {}),
    });
    if (options.onEvent) peer.on(options.onEvent);
    options.beforeStart?.(peer);
    try {
      await peer.start();
    } catch (err: unknown) {
      if (err instanceof RemoteError || err instanceof RendezvousPinError) throw err;
      if (err instanceof ProfileError) throw err; // a local cause, not the login
      throw new Error(
        `Cannot log in as ${args.user} at ${rendezvous}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    saveRendezvous(profile.db, rendezvous);
    const opened = profile;
    return {
      peer,
      profile: opened,
      rendezvous,
      registered: registrations(opened.db, args.user).length > before.length,
      async stop() {
        await peer.stop().catch(() => {});
        opened.close();
        lock.release();
      },
    };
  } catch (err: unknown) {
    const keep = !isNew || (profile !== undefined && registrations(profile.db, args.user).length);
    profile?.close();
    if (!keep) await discardNewProfile(args.profileDir, createdDir);
    lock.release();
    throw err;
  }
}

/** The files a profile is made of (profile.ts), removed again when its registration failed. */
const PROFILE_FILES = ["identity.key", "storage.key", "peer.db", "peer.db-wal", "peer.db-shm"];

/**
 * Removes the profile made by this run whose registration failed, so the next run starts afresh
 * (and asks for the password twice again): the whole directory when this run created it, else
 * the profile's own files. Never throws.
 */
async function discardNewProfile(dir: string, createdDir: boolean): Promise<void> {
  if (createdDir) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return;
  }
  for (const name of [...PROFILE_FILES, LOCK_FILE]) {
    await Deno.remove(join(dir, name)).catch(() => {});
  }
}

/** Whether `path` exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * The recipient `to` of `command` as stored now that `started` knows its home's name
 * (`alice@<home>` is `alice`); when that is its own user, stops the peer and throws.
 * @throws UsageError when `to` names the user itself, as `--to <self>` is refused before login.
 */
export async function recipientAtHome<F extends ServiceFactories>(
  started: CliPeer<F>,
  command: string,
  to: string,
  self: string,
  what: string,
): Promise<string> {
  try {
    return checkRecipientAtHome(command, to, self, started.peer.home, what);
  } catch (err: unknown) {
    await started.stop();
    throw err;
  }
}
