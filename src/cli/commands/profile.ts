/** `tincan profile check|repair`: inspect a profile, or start a damaged one afresh (offline). */
import { UsageError } from "../../errors.ts";
import { inspectProfile } from "../../peer/profile_check.ts";
import { repairProfile } from "../../peer/profile_repair.ts";
import type { Command, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import { parseFlags } from "../parse.ts";
import { type Env, PEER_FLAGS, profileDir, requireUser } from "../peer_args.ts";

/** `tincan profile --help`. */
export const PROFILE_HELP = `Usage: tincan profile check  (--user NAME | --profile DIR)
       tincan profile repair (--user NAME | --profile DIR)

check   Reads the profile without changing it: identity.key, storage.key (does it open the
        messages in peer.db?) and peer.db (SQLite's quick_check). Prints one line per file;
        exits 0 when all are fine, 1 when something is wrong.
repair  Keeps identity.key (same PeerId, same account: contacts see no key change) and starts
        afresh: the damaged peer.db and storage.key are moved into damaged-<time>/ in the
        profile (never deleted) and new empty ones are made. Prints what that loses: history,
        unacknowledged sent messages, pinned contact keys and verified marks, rooms, sessions
        (your contacts' next messages start new sessions by themselves). Stop tincan first.

Uses no network.

Options:
  -u, --user NAME  your username
  --profile DIR    your profile directory
                   (default $XDG_DATA_HOME/tincan/NAME or ~/.local/share/tincan/NAME)
  -h, --help       show this help`;

/** What `tincan profile` does, and to which profile. */
export interface ProfileOptions {
  readonly action: "check" | "repair";
  readonly profileDir: string;
}

/** Parsed `tincan profile` arguments. */
export type ProfileArgs = Parsed<ProfileOptions>;

/**
 * Parses the arguments of `tincan profile`.
 * @throws UsageError for an unknown action or flag, or neither --user nor --profile.
 */
export function parseProfileArgs(args: readonly string[], env: Env): ProfileArgs {
  const { values, positionals } = parseFlags("profile", args, {
    user: PEER_FLAGS.user,
    profile: PEER_FLAGS.profile,
  }, true);
  if (values.help) return { help: true };
  const [action, ...rest] = positionals;
  if (action !== "check" && action !== "repair") {
    throw new UsageError(`profile: say check or repair${action ? `, not "${action}"` : ""}`);
  }
  if (rest.length > 0) throw new UsageError(`profile: unexpected "${rest.join(" ")}"`);
  if (values.profile === undefined) requireUser("profile", values.user);
  return {
    help: false,
    action,
    profileDir: profileDir("profile", values.user, values.profile, env),
  };
}

/** `tincan profile`: check or repair a profile. */
export const profile: Command<ProfileOptions> = {
  name: "profile",
  summary: "check a profile, or repair a damaged one keeping its identity (offline)",
  help: PROFILE_HELP,
  parse: parseProfileArgs,
  async run(args, { io }) {
    const dir = args.profileDir;
    if (args.action === "check") {
      const inspection = await inspectProfile(dir);
      if (inspection.state === "new") {
        io.err(`tincan: there is no tincan profile in ${dir}`);
        return EXIT.failure;
      }
      for (const finding of inspection.findings) {
        io.out(`${finding.file.padEnd(13)}${finding.state}`);
      }
      if (inspection.state === "ok") return EXIT.ok;
      io.err(
        `tincan: the profile in ${dir} is damaged: run \`tincan profile repair --profile ${dir}\``,
      );
      return EXIT.failure;
    }
    const report = await repairProfile(dir);
    if (!report.repaired) {
      io.out(`the profile in ${dir} is fine: nothing to repair`);
      return EXIT.ok;
    }
    io.out(`repaired the profile in ${dir} (${report.problems})`);
    io.out("kept: identity.key (the same PeerId and account)");
    io.out(`moved aside: the old peer.db and storage.key, into ${report.movedTo}`);
    for (const line of report.lost) io.out(`lost: ${line}`);
    return EXIT.ok;
  },
};
