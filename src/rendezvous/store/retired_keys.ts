/**
 * The identity keys accounts moved away from (schema version 4): which account each left, and
 * when. Rows are added by a trigger on every key change; this module only reads them.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared } from "../../store/database.ts";

/** One retirement: `identityKey` stopped being `username`'s key at `retiredAt`. */
export interface RetiredKey {
  readonly username: string;
  readonly retiredAt: number;
}

/** The retired_keys table. */
export class RetiredKeyStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Every account `identityKey` was retired from, latest first. */
  retirements(identityKey: Uint8Array): RetiredKey[] {
    const rows = prepared(
      this.db,
      "SELECT username, retired_at FROM retired_keys WHERE identity_key = ? ORDER BY retired_at DESC",
    ).all(identityKey);
    return rows.map((row) => ({
      username: String(row.username),
      retiredAt: Number(row.retired_at),
    }));
  }
}
