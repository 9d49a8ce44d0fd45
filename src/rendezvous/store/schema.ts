/** The rendezvous database schema, as versioned migrations (see database.ts). */
import type { Migration } from "../../store/database.ts";

export const RENDEZVOUS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      CREATE TABLE accounts (
        username TEXT PRIMARY KEY,
        registration_record TEXT NOT NULL,
        identity_key BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX accounts_by_identity_key ON accounts (identity_key);
      CREATE TABLE key_log (
        username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        identity_key BLOB NOT NULL,
        statement BLOB NOT NULL,
        PRIMARY KEY (username, seq)
      ) STRICT;
      CREATE TABLE identity_prekeys (
        username TEXT PRIMARY KEY REFERENCES accounts(username) ON DELETE CASCADE,
        identity_dh BLOB NOT NULL,
        signed_prekey BLOB NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE one_time_prekeys (
        username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        signed_key BLOB NOT NULL,
        PRIMARY KEY (username, id)
      ) STRICT;
    `,
  },
  {
    version: 2,
    sql: `
      -- Sealed mail for offline users: signed envelopes the rendezvous cannot read, kept until
      -- the recipient acknowledges them or they expire. id gives the deposit order.
      CREATE TABLE mailbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        recipient TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        sender TEXT NOT NULL,
        message_id BLOB NOT NULL,
        envelope BLOB NOT NULL,
        size INTEGER NOT NULL,
        deposited_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX mailbox_by_recipient ON mailbox (recipient, id);
      CREATE UNIQUE INDEX mailbox_by_message ON mailbox (recipient, message_id);
      CREATE INDEX mailbox_by_expiry ON mailbox (expires_at);
      -- Each mailbox's envelopes and bytes, kept by triggers: quota checks read one row.
      CREATE TABLE mailbox_usage (
        recipient TEXT PRIMARY KEY REFERENCES accounts(username) ON DELETE CASCADE,
        count INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      ) STRICT;
      CREATE TRIGGER mailbox_counted AFTER INSERT ON mailbox BEGIN
        INSERT INTO mailbox_usage (recipient, count, bytes) VALUES (NEW.recipient, 1, NEW.size)
          ON CONFLICT (recipient) DO UPDATE SET count = count + 1, bytes = bytes + NEW.size;
      END;
      CREATE TRIGGER mailbox_uncounted AFTER DELETE ON mailbox BEGIN
        UPDATE mailbox_usage SET count = count - 1, bytes = bytes - OLD.size
          WHERE recipient = OLD.recipient;
      END;
    `,
  },
  {
    version: 3,
    sql: `
      -- Operator actions (src/rendezvous/admin/): a disabled account cannot log in; a deleted
      -- name may be registered again only after the cooling-off period; every admin action is
      -- kept in the audit log.
      ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;
      CREATE TABLE deleted_usernames (
        username TEXT PRIMARY KEY,
        deleted_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE admin_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL
      ) STRICT;
    `,
  },
];
