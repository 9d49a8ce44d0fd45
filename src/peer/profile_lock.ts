/**
 * One running peer per profile: an exclusive OS-level lock (flock / LockFileEx through
 * Deno.FsFile.tryLock) on `<dir>/peer.lock`, held for the life of the process. Two processes on
 * one profile would race the same ratchet state and could encrypt two messages with one key and
 * nonce; the second is refused with the first one's PID. The OS drops the lock when its process
 * dies, so a crashed peer never blocks the next one (the PID left in the file is only read while
 * the lock is held by someone).
 */
import { join } from "node:path";

/** The lock file inside a profile directory. */
export const LOCK_FILE = "peer.lock";

/** The most of a lock file read to name its owner. */
const MAX_OWNER_BYTES = 1024;

/** Who holds a profile: written into the lock file by its holder. */
export interface LockOwner {
  readonly pid: number;
  /** What runs there, e.g. "tincan chat". */
  readonly command: string;
}

/** The profile is held by another running process. */
export class ProfileInUseError extends Error {
  override name = "ProfileInUseError";
}

/** A held profile lock. */
export interface ProfileLock {
  /** Releases the lock (also done by the OS when the process ends); idempotent. */
  release(): void;
}

/** The text of a lock file naming `owner`. */
export function formatLockOwner(owner: LockOwner): string {
  return `${JSON.stringify({ pid: owner.pid, command: owner.command })}\n`;
}

/** The owner a lock file's text names, or undefined when it names none (empty, damaged). */
export function parseLockOwner(text: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const { pid, command } = value as Record<string, unknown>;
    if (!Number.isSafeInteger(pid) || typeof command !== "string") return undefined;
    return { pid: pid as number, command: command.slice(0, 80) };
  } catch {
    return undefined;
  }
}

/** The sentence that says who holds `user`'s profile. */
export function inUseMessage(user: string, owner: LockOwner | undefined): string {
  const by = owner ? `process ${owner.pid} (${owner.command})` : "another process";
  return `${user}'s profile is in use by ${by}: only one tincan can run on a profile at a ` +
    `time. Quit that one first (or use another --user or --profile).`;
}

/**
 * Takes the lock of the profile in `dir` (which must exist) for `owner`, this process.
 * @throws ProfileInUseError naming the holder when another process (or another open in this
 * one) holds it.
 */
export async function lockProfile(
  dir: string,
  user: string,
  owner: LockOwner,
): Promise<ProfileLock> {
  const path = join(dir, LOCK_FILE);
  const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  try {
    if (!await file.tryLock(true)) {
      throw new ProfileInUseError(inUseMessage(user, await readOwner(file)));
    }
    const bytes = new TextEncoder().encode(formatLockOwner(owner));
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    for (let written = 0; written < bytes.length;) {
      written += await file.write(bytes.subarray(written));
    }
  } catch (err: unknown) {
    file.close();
    throw err;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      file.close(); // closing drops the lock
    },
  };
}

/** The owner named in the open lock `file`, if it can be read (Windows may refuse). */
async function readOwner(file: Deno.FsFile): Promise<LockOwner | undefined> {
  try {
    const buffer = new Uint8Array(MAX_OWNER_BYTES);
    let length = 0;
    while (length < buffer.length) {
      const n = await file.read(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
    return parseLockOwner(new TextDecoder().decode(buffer.subarray(0, length)));
  } catch {
    return undefined;
  }
}
