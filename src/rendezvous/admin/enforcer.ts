/**
 * Makes the operator's account actions take effect on a running node: a logged-in user whose
 * account was disabled or deleted is disconnected. Actions taken by another process on the same
 * database (`tincan admin`) are noticed through SQLite's `PRAGMA data_version`, which changes
 * when another connection commits; it is polled every POLL_MS.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Logger } from "../../log.ts";
import { selectOne } from "../../store/database.ts";
import type { LoggedInUser } from "../logged_in_users.ts";
import type { AccountAdminStore } from "../store/account_admin.ts";

/** How often another process's changes are looked for. */
export const POLL_MS = 250;

/** What the enforcer works with. */
export interface EnforcerDeps {
  readonly db: DatabaseSync;
  readonly store: AccountAdminStore;
  /** The users logged in now. */
  readonly online: () => readonly LoggedInUser[];
  /** Ends every connection of a PeerId. */
  readonly disconnect: (peerId: string) => Promise<void>;
  readonly log: Logger;
}

/** Disconnects barred users, on demand and whenever another process changes the database. */
export class AccountEnforcer {
  readonly #timer: ReturnType<typeof setInterval>;
  #version: number;

  constructor(private readonly deps: EnforcerDeps) {
    this.#version = this.#dataVersion();
    this.#timer = setInterval(() => {
      const version = this.#dataVersion();
      if (version === this.#version) return;
      this.#version = version;
      this.sweep();
    }, POLL_MS);
  }

  /** Disconnects every online user whose account is disabled or gone. */
  sweep(): void {
    for (const { username, peerId } of this.deps.online()) {
      const gone = !this.deps.store.exists(username);
      if (!gone && this.deps.store.disabledAt(username) === undefined) continue;
      this.deps.log.info(
        `closing the session of ${username}: account ${gone ? "deleted" : "disabled"}`,
      );
      void this.deps.disconnect(peerId);
    }
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #dataVersion(): number {
    return Number(
      selectOne<{ data_version: number }>(this.deps.db, "PRAGMA data_version")?.data_version,
    );
  }
}
