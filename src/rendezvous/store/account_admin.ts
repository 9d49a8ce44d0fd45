/**
 * What the operator changes about accounts: disabling, deleting (with the name kept for the
 * cooling-off period) and the audit log of those actions. Deleting an account deletes its key
 * log, prekeys and mail (the foreign keys cascade).
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll, selectOne, transaction } from "../../store/database.ts";

/** An account as the operator sees it: counts and times, never the OPAQUE record. */
export interface AccountSummary {
  readonly username: string;
  readonly createdAt: number;
  readonly disabledAt: number | undefined;
  readonly keyChanges: number;
  readonly oneTimePrekeys: number;
  readonly mailCount: number;
  readonly mailBytes: number;
}

/** One audit-log row. */
export interface AuditEntry {
  readonly at: number;
  /** Who acted: `cli`, or `dashboard <address>`. */
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  /** `ok`, or why it failed. */
  readonly outcome: string;
}

/** The most rows `list` and `recentAudit` return. */
export const MAX_LISTED = 10_000;

/** The accounts' disabled column, the deleted names and the audit log. */
export class AccountAdminStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Accounts in name order, at most `limit` (capped at MAX_LISTED). */
  list(limit = MAX_LISTED): AccountSummary[] {
    const rows = selectAll<{
      username: string;
      created_at: number;
      disabled_at: number | null;
      key_changes: number;
      prekeys: number;
      mail_count: number;
      mail_bytes: number;
    }>(
      this.db,
      `SELECT a.username, a.created_at, a.disabled_at,
         (SELECT count(*) FROM key_log k WHERE k.username = a.username) - 1 AS key_changes,
         (SELECT count(*) FROM one_time_prekeys p WHERE p.username = a.username) AS prekeys,
         coalesce(u.count, 0) AS mail_count, coalesce(u.bytes, 0) AS mail_bytes
       FROM accounts a LEFT JOIN mailbox_usage u ON u.recipient = a.username
       ORDER BY a.username LIMIT ?`,
      Math.min(limit, MAX_LISTED),
    );
    return rows.map((row) => ({
      username: row.username,
      createdAt: Number(row.created_at),
      disabledAt: row.disabled_at === null ? undefined : Number(row.disabled_at),
      keyChanges: Math.max(0, Number(row.key_changes)),
      oneTimePrekeys: Number(row.prekeys),
      mailCount: Number(row.mail_count),
      mailBytes: Number(row.mail_bytes),
    }));
  }

  /** Whether `username` exists. */
  exists(username: string): boolean {
    return selectOne<{ one: number }>(
      this.db,
      "SELECT 1 AS one FROM accounts WHERE username = ?",
      username,
    ) !== undefined;
  }

  /** When `username` was disabled, or undefined when it is enabled or does not exist. */
  disabledAt(username: string): number | undefined {
    const row = selectOne<{ disabled_at: number | null }>(
      this.db,
      "SELECT disabled_at FROM accounts WHERE username = ?",
      username,
    );
    return row?.disabled_at == null ? undefined : Number(row.disabled_at);
  }

  /** Disables (`at` a time) or enables (`at` undefined) `username`; false when there is none. */
  setDisabled(username: string, at: number | undefined): boolean {
    const result = prepared(this.db, "UPDATE accounts SET disabled_at = ? WHERE username = ?")
      .run(at ?? null, username);
    return Number(result.changes) > 0;
  }

  /**
   * Deletes `username` with its key log, prekeys and mail, and records the name as deleted at
   * `now`, in one transaction; false when there is no such account.
   */
  delete(username: string, now: number): boolean {
    return transaction(this.db, () => {
      const result = prepared(this.db, "DELETE FROM accounts WHERE username = ?").run(username);
      if (Number(result.changes) === 0) return false;
      prepared(
        this.db,
        `INSERT INTO deleted_usernames (username, deleted_at) VALUES (?, ?)
         ON CONFLICT (username) DO UPDATE SET deleted_at = excluded.deleted_at`,
      ).run(username, now);
      return true;
    });
  }

  /** When `username` was last deleted, or undefined. */
  deletedAt(username: string): number | undefined {
    const row = selectOne<{ deleted_at: number }>(
      this.db,
      "SELECT deleted_at FROM deleted_usernames WHERE username = ?",
      username,
    );
    return row && Number(row.deleted_at);
  }

  /** Appends `entry` to the audit log. */
  audit(entry: AuditEntry): void {
    prepared(
      this.db,
      "INSERT INTO admin_audit (at, actor, action, target, outcome) VALUES (?, ?, ?, ?, ?)",
    ).run(entry.at, entry.actor, entry.action, entry.target, entry.outcome);
  }

  /** The newest `limit` audit entries (capped at MAX_LISTED), newest first. */
  recentAudit(limit: number): AuditEntry[] {
    const rows = selectAll<AuditEntry>(
      this.db,
      "SELECT at, actor, action, target, outcome FROM admin_audit ORDER BY id DESC LIMIT ?",
      Math.min(limit, MAX_LISTED),
    );
    return rows.map((row) => ({ ...row, at: Number(row.at) }));
  }
}
