/** `tincan register`: create the account at a rendezvous, bound to this profile's identity. */
import type { Command, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import { type Env, parseOnlyPeerArgs, PEER_FLAGS_HELP, type PeerArgs } from "../peer_args.ts";
import { startCliPeer } from "../start_peer.ts";

/** `tincan register --help`. */
export const REGISTER_HELP =
  `Usage: tincan register --user NAME [--rendezvous MULTIADDR] [--profile DIR]

Registers NAME at the rendezvous (creating the profile and its identity key on first use),
logs in once to check it, and logs out. Prints the rendezvous and your PeerId.
Registering again from the same profile just logs in.

Options:
${PEER_FLAGS_HELP}`;

/** Parsed `tincan register` arguments. */
export type RegisterArgs = Parsed<PeerArgs>;

/**
 * Parses the arguments of `tincan register`.
 * @throws UsageError for unknown flags, a missing or bad --user, or a bad --rendezvous.
 */
export function parseRegisterArgs(args: readonly string[], env: Env): RegisterArgs {
  return parseOnlyPeerArgs("register", args, env);
}

/** `tincan register`: registers (or logs in to check an existing registration) and logs out. */
export const register: Command<PeerArgs> = {
  name: "register",
  summary: "create your account at a rendezvous",
  help: REGISTER_HELP,
  parse: parseRegisterArgs,
  async run(args, { io, env }) {
    const started = await startCliPeer(args, {
      register: true,
      confirmPassword: true,
      command: "register",
      env,
      io,
    });
    const peerId = started.profile.peerId.toString();
    await started.stop();
    io.out(`registered ${args.user} at ${started.rendezvous}`);
    io.out(`peer id ${peerId}`);
    io.out(`profile ${args.profileDir}`);
    return EXIT.ok;
  },
};
