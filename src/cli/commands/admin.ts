/** `tincan admin`: the operator's account actions on a rendezvous data directory. */
import { UsageError } from "../../errors.ts";
import { openAdmin } from "../../rendezvous/admin/open.ts";
import type { AccountSummary } from "../../rendezvous/store/account_admin.ts";
import type { Command, Parsed } from "../command.ts";
import { EXIT } from "../io.ts";
import { parseFlags } from "../parse.ts";

/** `tincan admin --help`. */
export const ADMIN_HELP =
  `Usage: tincan admin --data DIR users|disable NAME|enable NAME|delete NAME|keylog NAME

Acts on the accounts of the rendezvous whose data directory is DIR, also while it runs
(a disabled or deleted user's session is closed within a second). Every action is kept
in the audit log the dashboard shows.

Actions:
  users          list the accounts: status, mail held, one-time prekeys left, key changes
  disable NAME   refuse NAME's logins and close its session
  enable NAME    allow NAME's logins again
  delete NAME    delete NAME with its prekeys and mail; the name can be registered again
                 only after the cooling-off period (--cooling-off-days of the rendezvous)
  keylog NAME    show NAME's key log (public keys only)

Options:
  --data DIR     the rendezvous data directory (default ./tincan-rendezvous)
  -h, --help     show this help`;

/** Parsed `tincan admin` arguments. */
export type AdminArgs = Parsed<AdminAction>;

/** What `tincan admin` is asked to do, and on which data directory. */
export type AdminAction =
  | { readonly dataDir: string; readonly action: "users" }
  | {
    readonly dataDir: string;
    readonly action: "disable" | "enable" | "delete" | "keylog";
    readonly username: string;
  };

const NAMED = ["disable", "enable", "delete", "keylog"] as const;

/**
 * Parses the arguments of `tincan admin`.
 * @throws UsageError for unknown flags or actions, or a missing NAME.
 */
export function parseAdminArgs(args: readonly string[]): AdminArgs {
  const { values, positionals } = parseFlags("admin", args, { data: { type: "string" } }, true);
  if (values.help) return { help: true };
  const dataDir = values.data ?? "./tincan-rendezvous";
  const [action, username, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`admin: unexpected "${extra[0]}"`);
  if (action === "users" && username === undefined) return { help: false, dataDir, action };
  const named = NAMED.find((a) => a === action);
  if (named === undefined) {
    throw new UsageError(
      `admin: ${action === undefined ? "an action is needed" : `unknown action "${action}"`}` +
        ` (users, disable, enable, delete, keylog)`,
    );
  }
  if (username === undefined) throw new UsageError(`admin: ${named} needs a NAME`);
  return { help: false, dataDir, action: named, username };
}

/** `tincan admin`: one account action on a rendezvous data directory. */
export const admin: Command<AdminAction> = {
  name: "admin",
  summary: "disable, enable, delete accounts; users; key logs (operator)",
  help: ADMIN_HELP,
  parse: (args) => parseAdminArgs(args),
  async run(parsed, { io }) {
    const { actions, close } = await openAdmin(parsed.dataDir);
    try {
      if (parsed.action === "users") {
        io.out(formatUsers(actions.users()));
      } else if (parsed.action === "keylog") {
        for (const entry of actions.keyLog(parsed.username, "cli")) {
          io.out(`#${entry.seq} ${entry.peerId} ${entry.identityKey}`);
        }
      } else {
        actions.apply(parsed.action, parsed.username, "cli");
        io.out(`${parsed.action}d ${parsed.username.toLowerCase()}`);
      }
    } finally {
      close();
    }
    return EXIT.ok;
  },
};

/** The `users` listing: a header and one line per account. */
export function formatUsers(users: readonly AccountSummary[]): string {
  const lines = [["USER", "STATUS", "CREATED", "MAIL", "BYTES", "PREKEYS", "KEY CHANGES"]];
  for (const u of users) {
    lines.push([
      u.username,
      u.disabledAt === undefined ? "active" : "disabled",
      new Date(u.createdAt).toISOString().slice(0, 10),
      String(u.mailCount),
      String(u.mailBytes),
      String(u.oneTimePrekeys),
      String(u.keyChanges),
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd())
    .join("\n");
}
