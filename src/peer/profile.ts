/**
 * A user's profile on this device: a directory (owner-only) holding the Ed25519 identity key
 * (which is also the libp2p PeerId) and the peer database.
 *
 *   <dir>/identity.key   libp2p protobuf Ed25519 private key, mode 0600
 *   <dir>/storage.key    32 random bytes that seal message bodies, private keys and ratchet
 *                        states at rest in peer.db, mode 0600
 *   <dir>/peer.db        SQLite: settings, keys, contacts, sessions, outbox, history; mode 0600
 */
import type { PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { loadOrCreateNodeKey } from "../net/node_key.ts";
import { dataHome, dataHomeHint } from "./data_home.ts";
import { checkpointWal, openPrivateDatabase } from "../store/database.ts";
import { checkpointWhenIdle } from "../store/idle_checkpoints.ts";
import { PEER_MIGRATIONS } from "./store/schema.ts";
import { sealExistingKeys } from "./store/sealed_keys.ts";
import {
  describeProblems,
  inspectProfile,
  PROFILE_FILES,
  STORAGE_KEY_BYTES,
} from "./profile_check.ts";
import { profileError } from "./profile_errors.ts";

/** An open profile. */
export interface Profile {
  readonly dir: string;
  readonly identity: PrivateKey;
  readonly peerId: PeerId;
  readonly db: DatabaseSync;
  /** The key that seals message bodies, keys and ratchet states in peer.db (crypto/at_rest.ts). */
  readonly storageKey: Uint8Array;
  close(): void;
}

/**
 * The default profile directory of `username`: <data home>/tincan/<user>, the data home being
 * $XDG_DATA_HOME, on Windows %LOCALAPPDATA%, else ~/.local/share (data_home.ts).
 * @throws TypeError when the environment names no data home.
 */
export function defaultProfileDir(
  username: string,
  env: (name: string) => string | undefined,
  os: string = Deno.build.os,
) {
  const home = dataHome(env, os);
  if (home === undefined) {
    throw new TypeError(
      `Cannot find a place for the profile: ${dataHomeHint(os)}, or pass --profile`,
    );
  }
  return join(home, "tincan", username);
}

/**
 * Opens the profile in `dir`, creating it (owner-only permissions) on first use. An existing
 * profile is never completed silently: one whose identity key, storage key or database is
 * missing, damaged (SQLite's quick_check) or not the others' is refused.
 * @throws ProfileError naming the file and the recovery step (`tincan profile check/repair`).
 */
export async function openProfile(dir: string): Promise<Profile> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const inspection = await inspectProfile(dir);
  if (inspection.state === "damaged") throw profileError(dir, describeProblems(inspection));
  return await openProfileFiles(dir);
}

/**
 * Opens the files of the profile in `dir`, creating those that are missing: for a new profile,
 * and for `tincan profile repair` (which moved the damaged ones aside first).
 * @throws TypeError when a key file is damaged; RangeError for a newer schema.
 */
export async function openProfileFiles(dir: string): Promise<Profile> {
  const identity = await loadOrCreateNodeKey(join(dir, PROFILE_FILES.identity));
  const storageKey = await loadOrCreateSecret(join(dir, PROFILE_FILES.storageKey));
  const dbPath = join(dir, PROFILE_FILES.database);
  const db = await openPrivateDatabase(dbPath, PEER_MIGRATIONS);
  try {
    // A profile from before keys were sealed: seal them now, and leave no plaintext copy in the
    // WAL or in the database file's old pages (secure_delete overwrote those).
    if (sealExistingKeys(db, storageKey) > 0) checkpointWal(db);
  } catch (err: unknown) {
    db.close();
    throw err;
  }
  // Not inside the commits a message's Ack and reply wait for (idle_checkpoints.ts).
  const stopCheckpoints = checkpointWhenIdle(db);
  return {
    dir,
    identity,
    peerId: peerIdFromPrivateKey(identity),
    db,
    storageKey,
    close: () => {
      stopCheckpoints();
      checkpointWal(db); // nothing deleted stays readable in peer.db-wal
      db.close();
    },
  };
}

/**
 * Reads the 32-byte secret at `path`, or creates it with owner-only permissions.
 * @throws TypeError when the file exists but is not 32 bytes.
 */
async function loadOrCreateSecret(path: string): Promise<Uint8Array> {
  try {
    const bytes = await Deno.readFile(path);
    if (bytes.length !== STORAGE_KEY_BYTES) {
      throw new TypeError(`Cannot use ${path}: it is damaged (${bytes.length} bytes, not 32)`);
    }
    return bytes;
  } catch (err: unknown) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const secret = crypto.getRandomValues(new Uint8Array(STORAGE_KEY_BYTES));
    await Deno.writeFile(path, secret, { mode: 0o600, createNew: true });
    return secret;
  }
}
