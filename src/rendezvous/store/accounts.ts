/**
 * Rendezvous accounts: the OPAQUE registration record (never a password or password hash) and the
 * identity key bound to the account, with its append-only key log.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll, selectOne, transaction } from "../../store/database.ts";

/** An account as stored. */
export interface Account {
  readonly username: string;
  readonly registrationRecord: string;
  readonly identityKey: Uint8Array;
  readonly createdAt: number;
}

/** One key-log row: the key bound at `seq` and the signed statement recording it. */
export interface KeyLogRow {
  readonly seq: number;
  readonly identityKey: Uint8Array;
  readonly statement: Uint8Array;
}

/** Thrown by `create` when the username exists. */
export class UsernameTakenError extends Error {
  override name = "UsernameTakenError";
}

/** Thrown by `changeIdentityKey` when another key change was appended first. */
export class KeyLogConflictError extends RangeError {
  override name = "KeyLogConflictError";
}

interface AccountRow {
  username: string;
  registration_record: string;
  identity_key: Uint8Array;
  created_at: number;
}

/** The accounts and key-log tables. */
export class AccountStore {
  constructor(private readonly db: DatabaseSync) {}

  /** The account `username`, or undefined. */
  get(username: string): Account | undefined {
    const row = selectOne<AccountRow>(
      this.db,
      "SELECT username, registration_record, identity_key, created_at FROM accounts WHERE username = ?",
      username,
    );
    return row && {
      username: row.username,
      registrationRecord: row.registration_record,
      identityKey: new Uint8Array(row.identity_key),
      createdAt: Number(row.created_at),
    };
  }

  /**
   * Creates an account and its first key-log entry in one transaction.
   * @throws UsernameTakenError when the name exists.
   */
  create(account: Account, firstKeyLogStatement: Uint8Array): void {
    transaction(this.db, () => {
      const exists = selectOne(
        this.db,
        "SELECT 1 FROM accounts WHERE username = ?",
        account.username,
      );
      if (exists) throw new UsernameTakenError(`The username ${account.username} is taken`);
      prepared(
        this.db,
        "INSERT INTO accounts (username, registration_record, identity_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      ).run(
        account.username,
        account.registrationRecord,
        account.identityKey,
        account.createdAt,
        account.createdAt,
      );
      prepared(
        this.db,
        "INSERT INTO key_log (username, seq, identity_key, statement) VALUES (?, 0, ?, ?)",
      ).run(account.username, account.identityKey, firstKeyLogStatement);
    });
  }

  /**
   * Binds a new identity key: appends the key-log entry `seq` and drops the prekeys signed by the
   * old key, in one transaction.
   * @throws KeyLogConflictError when `seq` is not the next entry (a concurrent change won).
   */
  changeIdentityKey(
    username: string,
    identityKey: Uint8Array,
    seq: number,
    statement: Uint8Array,
    now: number,
  ): void {
    transaction(this.db, () => {
      const next = this.keyLogLength(username);
      if (seq !== next) {
        throw new KeyLogConflictError(`key log of ${username} is at ${next}, not ${seq}`);
      }
      prepared(
        this.db,
        "INSERT INTO key_log (username, seq, identity_key, statement) VALUES (?, ?, ?, ?)",
      ).run(username, seq, identityKey, statement);
      prepared(this.db, "UPDATE accounts SET identity_key = ?, updated_at = ? WHERE username = ?")
        .run(identityKey, now, username);
      prepared(this.db, "DELETE FROM identity_prekeys WHERE username = ?").run(username);
      prepared(this.db, "DELETE FROM one_time_prekeys WHERE username = ?").run(username);
    });
  }

  /** The key log of `username`, oldest first (empty when there is no such account). */
  keyLog(username: string): KeyLogRow[] {
    const rows = selectAll<{
      seq: number;
      identity_key: Uint8Array;
      statement: Uint8Array;
    }>(
      this.db,
      "SELECT seq, identity_key, statement FROM key_log WHERE username = ? ORDER BY seq",
      username,
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      identityKey: new Uint8Array(row.identity_key),
      statement: new Uint8Array(row.statement),
    }));
  }

  /** Number of entries in the key log of `username`. */
  keyLogLength(username: string): number {
    const row = selectOne<{ n: number }>(
      this.db,
      "SELECT count(*) AS n FROM key_log WHERE username = ?",
      username,
    );
    return Number(row?.n ?? 0);
  }

  /** The last key-log statement of `username`, or undefined. */
  lastKeyLogStatement(username: string): Uint8Array | undefined {
    const row = selectOne<{ statement: Uint8Array }>(
      this.db,
      "SELECT statement FROM key_log WHERE username = ? ORDER BY seq DESC LIMIT 1",
      username,
    );
    return row && new Uint8Array(row.statement);
  }
}
