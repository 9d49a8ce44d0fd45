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
import { chooseRendezvous, RendezvousPinError, savedRendezvous } from "../peer/rendezvous_link.ts";
import type { CliIO } from "./io.ts";
import type { Env, PeerArgs } from "./peer_args.ts";
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
  /** Logs out, stops the node and closes the profile. */
  stop(): Promise<void>;
}

/** How a command starts its peer. */
export interface StartOptions<F extends ServiceFactories = NoServices> {
  /** Register the account on first use (chat, register); others need an existing profile. */
  readonly register: boolean;
  /** Ask for the password twice on a terminal; default: when the profile is new. */
  readonly confirmPassword?: boolean;
  readonly env: Env;
  /** Where the password prompt reads and writes, when TINCAN_PASSWORD is not set. */
  readonly io: CliIO;
  /**
   * Called with the chosen rendezvous address before connecting (chat starts its embedded
   * rendezvous there).
   */
  readonly beforeConnect?: (rendezvous: string) => Promise<void>;
  /** Receives the peer's events from the start (mail read at login included). */
  readonly onEvent?: PeerListener;
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
 * Opens the profile, picks the rendezvous, reads the password and starts the peer.
 * @throws NoProfileError (without `register`) when there is no profile; RemoteError when the
 * rendezvous refuses; RendezvousPinError; Error naming the rendezvous when it cannot be reached.
 */
export async function startCliPeer<F extends ServiceFactories = NoServices>(
  args: PeerArgs,
  options: StartOptions<F>,
): Promise<CliPeer<F>> {
  const isNew = await requireProfile(args.profileDir, args.user).then(() => false, (err) => {
    if (err instanceof NoProfileError && options.register) return true;
    throw err;
  });
  const profile = await openProfile(args.profileDir);
  try {
    const rendezvous = chooseRendezvous(
      args.rendezvous,
      options.env("TINCAN_RENDEZVOUS"),
      savedRendezvous(profile.db),
    );
    const confirm = options.confirmPassword ?? isNew;
    const password = await readPassword(options, args.user, { confirm });
    await options.beforeConnect?.(rendezvous);
    const peer = createPeer<F>({
      profile,
      username: args.user,
      password,
      rendezvous,
      register: options.register,
      ...(args.listen ? { listen: args.listen } : {}),
      ...(options.services ? { services: options.services(profile) } : {}),
    });
    if (options.onEvent) peer.on(options.onEvent);
    try {
      await peer.start();
    } catch (err: unknown) {
      if (err instanceof RemoteError || err instanceof RendezvousPinError) throw err;
      throw new Error(
        `Cannot log in as ${args.user} at ${rendezvous}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return {
      peer,
      profile,
      rendezvous,
      async stop() {
        await peer.stop().catch(() => {});
        profile.close();
      },
    };
  } catch (err: unknown) {
    profile.close();
    throw err;
  }
}
