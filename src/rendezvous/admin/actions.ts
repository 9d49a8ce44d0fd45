/**
 * The operator's account actions, shared by the dashboard and `tincan admin`: list, disable,
 * enable, delete, key log. Each one is recorded in the audit log, and `afterChange` hears of the
 * accounts changed (the running node closes their sessions).
 */
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import type { DatabaseSync } from "node:sqlite";
import { toHex } from "../../crypto/bytes.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { AccountStore } from "../store/accounts.ts";
import { AccountAdminStore, type AccountSummary, type AuditEntry } from "../store/account_admin.ts";

/** One key-log entry as shown to the operator: public key material only. */
export interface KeyLogView {
  readonly seq: number;
  readonly identityKey: string;
  readonly peerId: string;
}

/** An action the operator can take on one account. */
export type AccountAction = "disable" | "enable" | "delete";

/** The account actions over one rendezvous database. */
export class AdminActions {
  readonly #accounts: AccountStore;
  readonly #admin: AccountAdminStore;

  constructor(
    db: DatabaseSync,
    private readonly now: () => number,
    private readonly afterChange: (username: string) => void = () => {},
  ) {
    this.#accounts = new AccountStore(db);
    this.#admin = new AccountAdminStore(db);
  }

  /** Every account (up to MAX_LISTED), in name order. */
  users(): AccountSummary[] {
    return this.#admin.list();
  }

  /**
   * Applies `action` to `name` for `actor` and records it in the audit log.
   * @throws RangeError for a bad username or when there is no such account.
   */
  apply(action: AccountAction, name: string, actor: string): void {
    const username = this.#username(name, action, actor);
    const now = this.now();
    const done = action === "delete"
      ? this.#admin.delete(username, now)
      : this.#admin.setDisabled(username, action === "disable" ? now : undefined);
    if (!done) this.#fail(action, username, actor, `no account ${username}`);
    this.#admin.audit({ at: now, actor, action, target: username, outcome: "ok" });
    this.afterChange(username);
  }

  /**
   * The key log of `name`, oldest first.
   * @throws RangeError for a bad username or when there is no such account.
   */
  keyLog(name: string, actor: string): KeyLogView[] {
    const username = this.#username(name, "keylog", actor);
    const rows = this.#accounts.keyLog(username);
    if (rows.length === 0) this.#fail("keylog", username, actor, `no account ${username}`);
    this.#admin.audit({ at: this.now(), actor, action: "keylog", target: username, outcome: "ok" });
    return rows.map((row) => ({
      seq: row.seq,
      identityKey: toHex(row.identityKey),
      peerId: peerIdFromPublicKey(publicKeyFromRaw(row.identityKey)).toString(),
    }));
  }

  /** Records an action that is not about one account (an admin login, clearing a throttle). */
  record(entry: Omit<AuditEntry, "at">): void {
    this.#admin.audit({ at: this.now(), ...entry });
  }

  /** The newest `limit` audit entries, newest first. */
  audit(limit: number): AuditEntry[] {
    return this.#admin.recentAudit(limit);
  }

  #username(name: string, action: string, actor: string): string {
    try {
      return normalizeUsername(name);
    } catch (err: unknown) {
      this.#fail(action, name.slice(0, 64), actor, (err as Error).message);
    }
  }

  #fail(action: string, target: string, actor: string, why: string): never {
    this.#admin.audit({ at: this.now(), actor, action, target, outcome: why });
    throw new RangeError(`Cannot ${action} ${target}: ${why}`);
  }
}
