/** `tincan whoami`: this profile's PeerId and identity fingerprint, without the network. */
import { privateKeyFromProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { join } from "node:path";
import { fingerprintDigits } from "../../crypto/safety_number.ts";
import type { Command, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import { type Env, PEER_FLAGS, profileDir, requireUser } from "../peer_args.ts";
import { requireProfile } from "../start_peer.ts";
import { parseFlags } from "../parse.ts";

/** `tincan whoami --help`. */
export const WHOAMI_HELP = `Usage: tincan whoami --user NAME [--profile DIR]

Prints the PeerId and the identity fingerprint (30 digits in 6 groups of 5) of NAME's
profile. Uses no network and never creates a profile.

Options:
  -u, --user NAME  your username
  --profile DIR    your profile directory
                   (default $XDG_DATA_HOME/tincan/NAME or ~/.local/share/tincan/NAME)
  -h, --help       show this help`;

/** Parsed `tincan whoami` arguments. */
export type WhoamiArgs = Parsed<WhoamiOptions>;

/** Whose profile `tincan whoami` shows, and where it is. */
export interface WhoamiOptions {
  readonly user: string;
  readonly profileDir: string;
}

/**
 * Parses the arguments of `tincan whoami`.
 * @throws UsageError for unknown flags or a missing or bad --user.
 */
export function parseWhoamiArgs(args: readonly string[], env: Env): WhoamiArgs {
  const { user, profile, help } = parseFlags("whoami", args, {
    user: PEER_FLAGS.user,
    profile: PEER_FLAGS.profile,
  }).values;
  if (help) return { help: true };
  return {
    help: false,
    user: requireUser("whoami", user),
    profileDir: profileDir("whoami", user, profile, env),
  };
}

/** Groups digits in fives separated by spaces. */
export function groupDigits(digits: string): string {
  return digits.match(/.{1,5}/g)?.join(" ") ?? "";
}

/**
 * `tincan whoami`: prints the profile's identity. Its run throws NoProfileError when the profile
 * does not exist, TypeError when its key is damaged.
 */
export const whoami: Command<WhoamiOptions> = {
  name: "whoami",
  summary: "show your PeerId and identity fingerprint (offline)",
  help: WHOAMI_HELP,
  parse: parseWhoamiArgs,
  async run(args, { io }) {
    await requireProfile(args.profileDir, args.user);
    const keyPath = join(args.profileDir, "identity.key");
    let key;
    try {
      key = privateKeyFromProtobuf(await Deno.readFile(keyPath));
    } catch (err: unknown) {
      if (err instanceof Deno.errors.PermissionDenied) throw err;
      throw new TypeError(`Cannot read the identity key in ${keyPath}: the file is damaged`, {
        cause: err,
      });
    }
    if (key.type !== "Ed25519") {
      throw new TypeError(`Cannot use the identity key in ${keyPath}: it is not Ed25519`);
    }
    const digits = fingerprintDigits({ username: args.user, identityKey: key.publicKey.raw });
    io.out(`user         ${args.user}`);
    io.out(`peer id      ${peerIdFromPrivateKey(key)}`);
    io.out(`fingerprint  ${groupDigits(digits)}`);
    io.out(`profile      ${args.profileDir}`);
    return EXIT.ok;
  },
};
