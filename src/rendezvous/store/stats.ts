/**
 * Read-only totals over the rendezvous database for the operator's metrics and dashboard:
 * counts only, never a record, a key or an envelope.
 */
import type { DatabaseSync } from "node:sqlite";
import { selectAll, selectOne } from "../../store/database.ts";

/** One mailbox's size. */
export interface MailboxSize {
  readonly recipient: string;
  readonly count: number;
  readonly bytes: number;
}

/** The totals the operator side reads. */
export class StatsStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Whether the database answers a query. */
  healthy(): boolean {
    try {
      return selectOne<{ ok: number }>(this.db, "SELECT 1 AS ok") !== undefined;
    } catch {
      return false;
    }
  }

  /** Accounts in all, and how many are disabled. */
  accounts(): { total: number; disabled: number } {
    const row = selectOne<{ total: number; disabled: number }>(
      this.db,
      "SELECT count(*) AS total, count(disabled_at) AS disabled FROM accounts",
    );
    return { total: Number(row?.total ?? 0), disabled: Number(row?.disabled ?? 0) };
  }

  /** Envelopes and bytes held in all mailboxes. */
  mailboxTotals(): { count: number; bytes: number } {
    const row = selectOne<{ count: number; bytes: number }>(
      this.db,
      "SELECT coalesce(sum(count), 0) AS count, coalesce(sum(bytes), 0) AS bytes FROM mailbox_usage",
    );
    return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /** The `limit` largest mailboxes by bytes. */
  largestMailboxes(limit: number): MailboxSize[] {
    const rows = selectAll<MailboxSize>(
      this.db,
      "SELECT recipient, count, bytes FROM mailbox_usage WHERE count > 0 ORDER BY bytes DESC LIMIT ?",
      limit,
    );
    return rows.map((row) => ({ ...row, count: Number(row.count), bytes: Number(row.bytes) }));
  }

  /**
   * The fewest and the median one-time prekeys left per user that has published keys, or
   * undefined when none has.
   */
  oneTimePrekeysLeft(): { min: number; median: number } | undefined {
    const rows = selectAll<{ n: number }>(
      this.db,
      `SELECT (SELECT count(*) FROM one_time_prekeys p WHERE p.username = i.username) AS n
       FROM identity_prekeys i ORDER BY n`,
    );
    if (rows.length === 0) return undefined;
    const counts = rows.map((row) => Number(row.n));
    const mid = Math.floor(counts.length / 2);
    const median = counts.length % 2 === 1 ? counts[mid]! : (counts[mid - 1]! + counts[mid]!) / 2;
    return { min: counts[0]!, median };
  }
}
