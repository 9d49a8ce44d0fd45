/**
 * What a running peer does when its database fails under it. A full disk is not fatal: the work
 * that failed is retried later (mail stays at the rendezvous until it is stored), and the user is
 * told once. A damaged database (SQLITE_CORRUPT) is fatal for the profile: the user is told which
 * file and what to do, once, and the peer stops — it does not run on deaf.
 */
import { join } from "node:path";
import { type StorageFailure, storageFailure } from "../store/storage_failure.ts";
import type { PeerEvent } from "./events.ts";
import { PROFILE_FILES } from "./profile_check.ts";
import { ProfileError, profileError } from "./profile_errors.ts";

/** What the guard works with. */
export interface StorageGuardPorts {
  /** The profile directory (named in the message). */
  readonly dir: string;
  readonly emit: (event: PeerEvent) => void;
  /** Stops the peer (a damaged database). */
  readonly stop: () => void;
}

/** Watches the errors of a peer's database work. */
export class StorageGuard {
  #stopped = false;
  #full = false;

  constructor(private readonly ports: StorageGuardPorts) {}

  /**
   * The storage failure `err` reports, if any: for a damaged database, tells the user and stops
   * the peer (once).
   */
  check(err: unknown): StorageFailure | undefined {
    const failure = storageFailure(err);
    if (failure === "corrupt" && !this.#stopped) {
      this.#stopped = true;
      this.ports.emit({ type: "notice", text: this.damaged(err).message, fatal: true });
      this.ports.stop();
    }
    return failure;
  }

  /** The error that names the damaged database and the recovery step. */
  damaged(err: unknown): ProfileError {
    const file = join(this.ports.dir, PROFILE_FILES.database);
    return profileError(
      this.ports.dir,
      `${PROFILE_FILES.database} is damaged (${(err as Error).message}) in ${file}; stop tincan`,
    );
  }

  /**
   * The ProfileError for a database failure while starting (a local cause, not the network),
   * or undefined when `err` is another error.
   */
  localFailure(err: unknown): ProfileError | undefined {
    const failure = storageFailure(err);
    if (failure === "corrupt") return this.damaged(err);
    if (failure === "full") {
      const file = join(this.ports.dir, PROFILE_FILES.database);
      return new ProfileError(
        `Cannot start: the disk holding ${file} is full (${(err as Error).message}); ` +
          "free some space and start again (nothing was lost: mail waits at the rendezvous)",
      );
    }
    return undefined;
  }

  /** Tells the user, once until space is back, that `waiting` messages wait at the rendezvous. */
  full(waiting: number): void {
    if (this.#full) return;
    this.#full = true;
    this.ports.emit({
      type: "notice",
      text: `disk full: ${waiting} message${waiting === 1 ? "" : "s"} waiting at the rendezvous ` +
        "(they stay there until this device has space to store them; tincan keeps trying)",
    });
  }

  /** Space is back (a write worked after a full disk). */
  writable(): void {
    if (!this.#full) return;
    this.#full = false;
    this.ports.emit({ type: "notice", text: "disk space is back: reading the waiting messages" });
  }
}
