/**
 * The rendezvous mailbox: sealed envelopes kept for offline users, in deposit order, until the
 * recipient acknowledges them or they expire. The rendezvous cannot read them; it stores who
 * mailed whom, when, and how many bytes.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll, selectOne, transaction } from "../../store/database.ts";

/** One stored mail. */
export interface StoredMail {
  readonly id: number;
  readonly envelope: Uint8Array;
  readonly depositedAt: number;
}

/** A deposit to store. */
export interface Deposit {
  readonly recipient: string;
  readonly sender: string;
  /** The depositor's identity key: duplicates are the same (recipient, sender key, id). */
  readonly senderKey: Uint8Array;
  readonly messageId: Uint8Array;
  readonly envelope: Uint8Array;
  readonly now: number;
  readonly expiresAt: number;
}

/** The quotas a deposit is checked against: the whole mailbox, and each sender's share of it. */
export interface MailboxQuota {
  readonly maxMail: number;
  readonly maxBytes: number;
  readonly maxMailPerSender: number;
  readonly maxBytesPerSender: number;
  /** Federation: mail forwarded from the users of federated node `server`, in all mailboxes. */
  readonly remote?: {
    readonly server: string;
    readonly maxMail: number;
    readonly maxBytes: number;
  };
}

/** A deposit that would take the recipient's mailbox over its quota (until it is fetched). */
export class MailboxFullError extends RangeError {
  override name = "MailboxFullError";
}

/** A deposit that would take this sender's share of the recipient's mailbox over its quota. */
export class SenderQuotaError extends MailboxFullError {
  override name = "SenderQuotaError";
}

/** A forwarded deposit that would take one federated node's mail here over its quota. */
export class RemoteQuotaError extends MailboxFullError {
  override name = "RemoteQuotaError";
}

/** The mailbox table. */
export class MailboxStore {
  constructor(private readonly db: DatabaseSync) {}

  /**
   * Stores a deposit (committed when this returns) and returns its id. The same message id from
   * the same sender key for the same recipient is stored once: a repeated deposit returns the
   * first one's id. Another sender's message with that id is another message.
   * @throws SenderQuotaError when the sender's mail in the recipient's mailbox would exceed its
   * share of `quota`; RemoteQuotaError when the mail from `quota.remote`'s users would exceed
   * its share; MailboxFullError when the recipient's mail would exceed `quota`.
   */
  deposit(deposit: Deposit, quota: MailboxQuota): number {
    return transaction(this.db, () => {
      const existing = selectOne<{ id: number }>(
        this.db,
        "SELECT id FROM mailbox WHERE recipient = ? AND sender_key = ? AND message_id = ?",
        deposit.recipient,
        deposit.senderKey,
        deposit.messageId,
      );
      if (existing) return Number(existing.id);
      const mine = this.senderUsage(deposit.recipient, deposit.sender);
      if (
        mine.count + 1 > quota.maxMailPerSender ||
        mine.bytes + deposit.envelope.length > quota.maxBytesPerSender
      ) {
        throw new SenderQuotaError(
          `${deposit.recipient}'s mailbox holds ${mine.count} messages (${mine.bytes} bytes) ` +
            `from ${deposit.sender}, the most it takes from one sender (${quota.maxMailPerSender} ` +
            `messages, ${quota.maxBytesPerSender} bytes) until ${deposit.recipient} fetches them`,
        );
      }
      if (quota.remote) {
        const { server, maxMail, maxBytes } = quota.remote;
        const theirs = this.remoteUsage(server);
        if (theirs.count + 1 > maxMail || theirs.bytes + deposit.envelope.length > maxBytes) {
          throw new RemoteQuotaError(
            `this node holds ${theirs.count} messages (${theirs.bytes} bytes) from ${server}, ` +
              `the most it takes from one federated node (${maxMail} messages, ${maxBytes} ` +
              "bytes) until its users fetch them",
          );
        }
      }
      const usage = this.usage(deposit.recipient);
      if (usage.count + 1 > quota.maxMail) {
        throw new MailboxFullError(
          `${deposit.recipient}'s mailbox is full: it holds ${usage.count} messages ` +
            `(the limit is ${quota.maxMail})`,
        );
      }
      if (usage.bytes + deposit.envelope.length > quota.maxBytes) {
        throw new MailboxFullError(
          `${deposit.recipient}'s mailbox is full: it holds ${usage.bytes} bytes and this ` +
            `message is ${deposit.envelope.length} (the limit is ${quota.maxBytes} bytes)`,
        );
      }
      const row = selectOne<{ id: number }>(
        this.db,
        `INSERT INTO mailbox
           (recipient, sender, sender_key, message_id, envelope, size, deposited_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        deposit.recipient,
        deposit.sender,
        deposit.senderKey,
        deposit.messageId,
        deposit.envelope,
        deposit.envelope.length,
        deposit.now,
        deposit.expiresAt,
      )!; // INSERT … RETURNING yields the inserted row
      return Number(row.id);
    });
  }

  /** How many envelopes and bytes `recipient`'s mailbox holds. */
  usage(recipient: string): { count: number; bytes: number } {
    const row = selectOne<{ count: number; bytes: number }>(
      this.db,
      "SELECT count, bytes FROM mailbox_usage WHERE recipient = ?",
      recipient,
    );
    return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /** How many envelopes and bytes from `sender` `recipient`'s mailbox holds. */
  senderUsage(recipient: string, sender: string): { count: number; bytes: number } {
    const row = selectOne<{ count: number; bytes: number }>(
      this.db,
      "SELECT count, bytes FROM mailbox_sender_usage WHERE recipient = ? AND sender = ?",
      recipient,
      sender,
    );
    return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /** How many envelopes and bytes from users of federated node `server` all mailboxes hold. */
  remoteUsage(server: string): { count: number; bytes: number } {
    const row = selectOne<{ count: number; bytes: number }>(
      this.db,
      "SELECT count, bytes FROM mailbox_remote_usage WHERE server = ?",
      server,
    );
    return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /**
   * `recipient`'s unexpired mail in deposit order: at most `limit` mails and, past the first,
   * at most `maxBytes` of envelopes. `more` says whether mail is left after these.
   */
  fetch(
    recipient: string,
    limit: number,
    maxBytes: number,
    now: number,
  ): { mail: StoredMail[]; more: boolean } {
    const rows = selectAll<{ id: number; envelope: Uint8Array; deposited_at: number }>(
      this.db,
      `SELECT id, envelope, deposited_at FROM mailbox
       WHERE recipient = ? AND expires_at > ? ORDER BY id LIMIT ?`,
      recipient,
      now,
      limit + 1,
    );
    const mail: StoredMail[] = [];
    let bytes = 0;
    for (const row of rows.slice(0, limit)) {
      if (mail.length > 0 && bytes + row.envelope.length > maxBytes) break;
      bytes += row.envelope.length;
      mail.push({
        id: Number(row.id),
        envelope: new Uint8Array(row.envelope),
        depositedAt: Number(row.deposited_at),
      });
    }
    return { mail, more: rows.length > mail.length };
  }

  /** Deletes `recipient`'s mail with these ids; returns how many were deleted. */
  acknowledge(recipient: string, ids: readonly number[]): number {
    return transaction(this.db, () => {
      let deleted = 0;
      const statement = prepared(this.db, "DELETE FROM mailbox WHERE recipient = ? AND id = ?");
      for (const id of ids) deleted += Number(statement.run(recipient, id).changes);
      return deleted;
    });
  }

  /** Deletes expired mail; returns how many. */
  purgeExpired(now: number): number {
    return Number(
      prepared(this.db, "DELETE FROM mailbox WHERE expires_at <= ?").run(now).changes,
    );
  }
}
