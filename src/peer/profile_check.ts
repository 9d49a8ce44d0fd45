/**
 * Inspects a profile directory without changing it: whether each of its files is there, readable,
 * and consistent with the others — the identity key, the storage key (does it open the sealed
 * bodies and keys in peer.db?), and peer.db (not empty, migrated, passing SQLite's quick_check,
 * every sealed private key and ratchet state opening). Used at every start (a damaged profile
 * refuses to start) and by `tincan profile check`.
 */
import { privateKeyFromProtobuf } from "@libp2p/crypto/keys";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { openAtRest } from "../crypto/at_rest.ts";
import { selectAll, selectOne } from "../store/database.ts";
import { bodyContext } from "./store/body_context.ts";
import { openOutboxBody } from "./store/outbox_body.ts";
import { unopenedKeys } from "./store/sealed_keys.ts";

/** The files of a profile. */
export const PROFILE_FILES = {
  identity: "identity.key",
  storageKey: "storage.key",
  database: "peer.db",
} as const;

/** The length of storage.key. */
export const STORAGE_KEY_BYTES = 32;

/** What one file of the profile is like. */
export interface ProfileFinding {
  readonly file: string;
  readonly ok: boolean;
  /** "ok", or what is wrong with it ("it is missing", "it is damaged: …"). */
  readonly state: string;
}

/** A profile directory as found. */
export interface ProfileInspection {
  /** "new": nothing there yet; "ok": usable; "damaged": see the findings. */
  readonly state: "new" | "ok" | "damaged";
  readonly findings: readonly ProfileFinding[];
}

/** How many sealed bodies are tried against the storage key (the newest of each table). */
const SAMPLED_BODIES = 4;
/** How many damaged keys a finding names. */
const NAMED_KEYS = 3;

/** Reads `path`, or undefined when it does not exist. */
async function readIfThere(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** The size of `path`, or undefined when it does not exist. */
async function sizeIfThere(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

function identityFinding(bytes: Uint8Array | undefined): ProfileFinding {
  const file = PROFILE_FILES.identity;
  if (bytes === undefined) return { file, ok: false, state: "it is missing" };
  try {
    const key = privateKeyFromProtobuf(bytes);
    if (key.type !== "Ed25519") {
      return { file, ok: false, state: `it is not Ed25519 (${key.type})` };
    }
  } catch {
    return { file, ok: false, state: "it is damaged (not a key)" };
  }
  return { file, ok: true, state: "ok" };
}

function storageKeyFinding(bytes: Uint8Array | undefined): ProfileFinding {
  const file = PROFILE_FILES.storageKey;
  if (bytes === undefined) return { file, ok: false, state: "it is missing" };
  if (bytes.length !== STORAGE_KEY_BYTES) {
    return { file, ok: false, state: `it is damaged (${bytes.length} bytes, not 32)` };
  }
  return { file, ok: true, state: "ok" };
}

/** peer.db's quick_check, schema and (with `storageKey`) whether the key opens its bodies. */
async function databaseFindings(
  path: string,
  storageKey: Uint8Array | undefined,
): Promise<ProfileFinding[]> {
  const file = PROFILE_FILES.database;
  const size = await sizeIfThere(path);
  if (size === undefined) return [{ file, ok: false, state: "it is missing" }];
  if (size === 0) return [{ file, ok: false, state: "it is empty" }];
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (err: unknown) {
    return [{ file, ok: false, state: `it cannot be opened: ${(err as Error).message}` }];
  }
  try {
    const problems = selectAll<{ quick_check: string }>(db, "PRAGMA quick_check(5)")
      .map((row) => row.quick_check).filter((line) => line !== "ok");
    if (problems.length > 0) {
      return [{ file, ok: false, state: `it is damaged: ${problems.join("; ")}` }];
    }
    const version = Number(
      selectOne<{ user_version: number }>(db, "PRAGMA user_version")?.user_version,
    );
    if (version === 0) return [{ file, ok: false, state: "it is empty (no tables)" }];
    const ok: ProfileFinding = { file, ok: true, state: "ok" };
    if (storageKey === undefined) return [ok];
    const wrongKey = !(await opensSomeBody(db, storageKey));
    const keys = keyFinding(db, storageKey, wrongKey);
    const findings = [keys?.file === file ? keys : ok];
    if (wrongKey) {
      findings.push({
        file: PROFILE_FILES.storageKey,
        ok: false,
        state: "it does not open the messages in peer.db (it is not the key they were sealed with)",
      });
    }
    if (keys !== undefined && keys.file !== file) findings.push(keys);
    return findings;
  } catch (err: unknown) {
    return [{ file, ok: false, state: `it is damaged: ${(err as Error).message}` }];
  } finally {
    db.close();
  }
}

/**
 * What is wrong when a sealed key in `db` does not open with `storageKey`: some not opening is a
 * damaged peer.db, naming them; none opening is the wrong storage.key (unless `wrongKey` said so
 * already). Undefined when they all open.
 */
function keyFinding(
  db: DatabaseSync,
  storageKey: Uint8Array,
  wrongKey: boolean,
): ProfileFinding | undefined {
  const keys = unopenedKeys(db, storageKey);
  if (keys.unopened.length === 0) return undefined;
  if (keys.unopened.length < keys.total) {
    const state = `it is damaged: ${damagedKeys(keys.unopened)}`;
    return { file: PROFILE_FILES.database, ok: false, state };
  }
  if (wrongKey) return undefined;
  return {
    file: PROFILE_FILES.storageKey,
    ok: false,
    state: "it does not open the keys in peer.db (it is not the key they were sealed with, " +
      "or they are all damaged)",
  };
}

/** The sealed keys that do not open, in one phrase (the first few, and how many more). */
function damagedKeys(unopened: readonly string[]): string {
  const named = unopened.slice(0, NAMED_KEYS).join(", ");
  const more = unopened.length - NAMED_KEYS;
  return `${named}${more > 0 ? ` and ${more} more` : ""} ${
    unopened.length === 1 ? "does" : "do"
  } not open with storage.key`;
}

/**
 * Whether `key` opens at least one of the newest sealed bodies (true when there are none): a
 * single damaged body is the outbox's business, a key that opens none is the wrong key.
 */
async function opensSomeBody(db: DatabaseSync, key: Uint8Array): Promise<boolean> {
  const rows = [
    ...selectAll<{ message_id: Uint8Array; body: Uint8Array }>(
      db,
      "SELECT message_id, body FROM history ORDER BY rowid DESC LIMIT ?",
      SAMPLED_BODIES,
    ).map((row) => ({ table: "history" as const, ...row })),
    ...selectAll<{ message_id: Uint8Array; body: Uint8Array }>(
      db,
      "SELECT message_id, body FROM outbox ORDER BY seq DESC LIMIT ?",
      SAMPLED_BODIES,
    ).map((row) => ({ table: "outbox" as const, ...row })),
  ];
  if (rows.length === 0) return true;
  for (const row of rows) {
    const messageId = new Uint8Array(row.message_id);
    try {
      const body = new Uint8Array(row.body);
      if (row.table === "outbox") await openOutboxBody(key, body, messageId);
      else await openAtRest(key, body, bodyContext(row.table, messageId));
      return true;
    } catch {
      // try the next one
    }
  }
  return false;
}

/** Inspects the profile in `dir` (read-only). */
export async function inspectProfile(dir: string): Promise<ProfileInspection> {
  const identityBytes = await readIfThere(join(dir, PROFILE_FILES.identity));
  const storageBytes = await readIfThere(join(dir, PROFILE_FILES.storageKey));
  const dbPath = join(dir, PROFILE_FILES.database);
  const dbSize = await sizeIfThere(dbPath);
  if (identityBytes === undefined && storageBytes === undefined && !dbSize) {
    return { state: "new", findings: [] };
  }
  const storage = storageKeyFinding(storageBytes);
  const findings = [
    identityFinding(identityBytes),
    storage,
    ...await databaseFindings(dbPath, storage.ok ? storageBytes : undefined),
  ];
  return { state: findings.every((f) => f.ok) ? "ok" : "damaged", findings };
}

/** The problems of an inspection in one phrase ("peer.db: it is missing; storage.key: …"). */
export function describeProblems(inspection: ProfileInspection): string {
  return inspection.findings.filter((f) => !f.ok).map((f) => `${f.file}: ${f.state}`).join("; ");
}
