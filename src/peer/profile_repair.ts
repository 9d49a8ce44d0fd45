/**
 * `tincan profile repair`: starts a damaged profile afresh with the same identity. The identity
 * key stays (same PeerId, same account; contacts see no key change); the damaged database and
 * storage key are moved aside into `damaged-<time>/` in the profile (never deleted), and a new
 * storage key and an empty database are made. What that loses is counted from the old database
 * where it can still be read, and said.
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { selectOne } from "../store/database.ts";
import { describeProblems, inspectProfile, PROFILE_FILES } from "./profile_check.ts";
import { ProfileError } from "./profile_errors.ts";
import { openProfileFiles } from "./profile.ts";

/** What a repair did. */
export interface RepairReport {
  /** False when the profile needed no repair (nothing was touched). */
  readonly repaired: boolean;
  /** What was wrong (describeProblems). */
  readonly problems: string;
  /** Where the old files went, when repaired. */
  readonly movedTo?: string;
  /** What the fresh start loses, one line each. */
  readonly lost: readonly string[];
}

/** The tables whose rows a fresh start loses, and how to say it. */
const LOST_ROWS: readonly { table: string; where?: string; what: string }[] = [
  { table: "history", what: "messages of conversation history" },
  {
    table: "outbox",
    where: "status IN ('pending', 'held', 'sent', 'queued')",
    what: "messages you sent that were not acknowledged yet (they will not be resent)",
  },
  { table: "contacts", what: "pinned contact keys (each is pinned again on first contact)" },
  {
    table: "contacts",
    where: "verified = 1",
    what: "verified marks (compare safety numbers again)",
  },
  { table: "rooms", what: "rooms (ask a room admin to invite you again)" },
];

/** What is lost with the old database at `path`, counted when it can still be read. */
function countLost(path: string): string[] {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const lines: string[] = [];
    for (const { table, where, what } of LOST_ROWS) {
      const n = Number(
        selectOne<{ n: number }>(
          db,
          `SELECT count(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ""}`,
        )?.n,
      );
      if (n > 0) lines.push(`${n} ${what}`);
    }
    return lines;
  } catch {
    return [
      "the conversation history, unacknowledged messages you sent, pinned contact keys and " +
      "verified marks, and rooms of the old peer.db (it cannot be read to count them)",
    ];
  } finally {
    db?.close();
  }
}

/** Moves `name` from `dir` into `into` when it exists; returns whether it did. */
async function moveAside(dir: string, name: string, into: string): Promise<boolean> {
  try {
    await Deno.rename(join(dir, name), join(into, name));
    return true;
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Repairs the profile in `dir` (which no running peer uses), keeping its identity; does nothing
 * when the profile is healthy. `now` names the folder the old files go to.
 * @throws ProfileError when there is no profile, or its identity key is missing or damaged
 * (there is no identity to keep).
 */
export async function repairProfile(dir: string, now: Date = new Date()): Promise<RepairReport> {
  const inspection = await inspectProfile(dir);
  if (inspection.state === "new") {
    throw new ProfileError(`There is no tincan profile in ${dir} to repair`);
  }
  const problems = describeProblems(inspection);
  if (inspection.state === "ok") return { repaired: false, problems: "", lost: [] };
  const identity = inspection.findings.find((f) => f.file === PROFILE_FILES.identity);
  if (!identity?.ok) {
    throw new ProfileError(
      `Cannot repair the tincan profile in ${dir}: ${PROFILE_FILES.identity}: ${identity?.state}; ` +
        "and a repair keeps the identity. Restore identity.key from a backup; or move the profile " +
        "away and register this device anew (your contacts will see a key change)",
    );
  }
  const movedTo = join(dir, `damaged-${now.toISOString().replaceAll(":", "-")}`);
  await Deno.mkdir(movedTo, { mode: 0o700 });
  const dbPath = join(dir, PROFILE_FILES.database);
  const hadDatabase = await Deno.stat(dbPath).then((s) => s.size > 0, () => false);
  const lost = hadDatabase ? countLost(dbPath) : [];
  for (const name of ["", "-wal", "-shm"].map((suffix) => `${PROFILE_FILES.database}${suffix}`)) {
    await moveAside(dir, name, movedTo);
  }
  await moveAside(dir, PROFILE_FILES.storageKey, movedTo);
  const profile = await openProfileFiles(dir);
  profile.close();
  return {
    repaired: true,
    problems,
    movedTo,
    lost: [
      ...lost,
      "the sessions with your contacts: the next message either way starts a new one " +
      "(messages your contacts send meanwhile are resent after a session reset)",
    ],
  };
}
