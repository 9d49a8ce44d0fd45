/** `tincan register`: create the account at a rendezvous, bound to this profile's identity. */
import { type CliIO, EXIT } from "../io.ts";
import {
  type Env,
  parsePeerArgs,
  PEER_FLAGS,
  PEER_FLAGS_HELP,
  type PeerArgs,
} from "../peer_args.ts";
import { configureCliLogging, startCliPeer } from "../peer_session.ts";
import { parseFlags } from "../parse.ts";

/** `tincan register --help`. */
export const REGISTER_HELP =
  `Usage: tincan register --user NAME [--rendezvous MULTIADDR] [--profile DIR]

Registers NAME at the rendezvous (creating the profile and its identity key on first use),
logs in once to check it, and logs out. Prints the rendezvous and your PeerId.
Registering again from the same profile just logs in.

Options:
${PEER_FLAGS_HELP}`;

/** Parsed `tincan register` arguments. */
export type RegisterArgs = { readonly help: true } | ({ readonly help: false } & PeerArgs);

/**
 * Parses the arguments of `tincan register`.
 * @throws UsageError for unknown flags, a missing or bad --user, or a bad --rendezvous.
 */
export function parseRegisterArgs(args: readonly string[], env: Env): RegisterArgs {
  const { values } = parseFlags("register", args, PEER_FLAGS);
  if (values.help) return { help: true };
  return { help: false, ...parsePeerArgs("register", values, env) };
}

/** Registers (or logs in to check an existing registration) and logs out; returns the exit code. */
export async function runRegister(args: readonly string[], io: CliIO): Promise<number> {
  const env: Env = (name) => Deno.env.get(name);
  const parsed = parseRegisterArgs(args, env);
  if (parsed.help) {
    io.out(REGISTER_HELP);
    return EXIT.ok;
  }
  configureCliLogging(env);
  const started = await startCliPeer(parsed, { register: true, confirmPassword: true, env });
  const peerId = started.profile.peerId.toString();
  await started.stop();
  io.out(`registered ${parsed.user} at ${started.rendezvous}`);
  io.out(`peer id ${peerId}`);
  io.out(`profile ${parsed.profileDir}`);
  return EXIT.ok;
}
