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
      -- De-duplication by (recipient, sender identity, message id), not (recipient, message id):
      -- otherwise one account could deposit first an envelope carrying the id of another's
      -- message and have the real one dropped as a duplicate. sender_key is the depositor's
      -- identity key (the envelope's signer); mail stored before this has an empty one.
      ALTER TABLE mailbox ADD COLUMN sender_key BLOB NOT NULL DEFAULT x'';
      DROP INDEX mailbox_by_message;
      CREATE UNIQUE INDEX mailbox_by_sender_message ON mailbox (recipient, sender_key, message_id);
      -- Each sender's envelopes and bytes in each mailbox, kept by triggers: one sender cannot
      -- fill someone's mailbox.
      CREATE TABLE mailbox_sender_usage (
        recipient TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        sender TEXT NOT NULL,
        count INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (recipient, sender)
      ) STRICT;
      INSERT INTO mailbox_sender_usage (recipient, sender, count, bytes)
        SELECT recipient, sender, count(*), sum(size) FROM mailbox GROUP BY recipient, sender;
      CREATE TRIGGER mailbox_sender_counted AFTER INSERT ON mailbox BEGIN
        INSERT INTO mailbox_sender_usage (recipient, sender, count, bytes)
          VALUES (NEW.recipient, NEW.sender, 1, NEW.size)
          ON CONFLICT (recipient, sender) DO UPDATE SET count = count + 1, bytes = bytes + NEW.size;
      END;
      CREATE TRIGGER mailbox_sender_uncounted AFTER DELETE ON mailbox BEGIN
        UPDATE mailbox_sender_usage SET count = count - 1, bytes = bytes - OLD.size
          WHERE recipient = OLD.recipient AND sender = OLD.sender;
        DELETE FROM mailbox_sender_usage
          WHERE recipient = OLD.recipient AND sender = OLD.sender AND count = 0;
      END;
    `,
  },
  {
    version: 4,
    sql: `
      -- Identity keys accounts moved away from (a key change), with when: a retired key may be a
      -- stolen one, so it is not bound to another account for a cooling-off period (see
      -- retired_keys.ts). Kept when the account is deleted. The trigger records every change of
      -- accounts.identity_key, whichever code makes it; retired_at is the change's updated_at.
      CREATE TABLE retired_keys (
        identity_key BLOB NOT NULL,
        username TEXT NOT NULL,
        retired_at INTEGER NOT NULL,
        PRIMARY KEY (identity_key, username)
      ) STRICT;
      -- Keys retired before this version, from the key logs; the account's last change is the
      -- latest they can have been retired.
      INSERT OR IGNORE INTO retired_keys (identity_key, username, retired_at)
        SELECT key_log.identity_key, key_log.username, accounts.updated_at
        FROM key_log JOIN accounts ON accounts.username = key_log.username
        WHERE key_log.identity_key <> accounts.identity_key;
      CREATE TRIGGER identity_key_retired AFTER UPDATE OF identity_key ON accounts
        WHEN OLD.identity_key <> NEW.identity_key BEGIN
        INSERT INTO retired_keys (identity_key, username, retired_at)
          VALUES (OLD.identity_key, OLD.username, NEW.updated_at)
          ON CONFLICT (identity_key, username) DO UPDATE SET retired_at = excluded.retired_at;
      END;
    `,
  },
  {
    version: 5,
    sql: `
      -- PQXDH (issue 16): a user's signed ML-KEM-768 last-resort prekey, an encoded SignedKey
      -- (NULL from a version without PQXDH), and its pool of signed one-time ML-KEM-768 prekeys,
      -- each handed out at most once. The pool hangs off identity_prekeys: dropping a user's
      -- published keys (a key change) drops it too.
      ALTER TABLE identity_prekeys ADD COLUMN kem_last_resort BLOB;
      CREATE TABLE kem_one_time_prekeys (
        username TEXT NOT NULL REFERENCES identity_prekeys(username) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        signed_key BLOB NOT NULL,
        PRIMARY KEY (username, id)
      ) STRICT;
    `,
  },
  {
    version: 6,
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
  {
    version: 7,
    sql: `
      -- Federation (issue 12), at the sender's home: envelopes local users deposited for users
      -- homed at federated nodes, held until that node's mailbox accepted them. A row is
      -- committed before its deposit is answered; its envelope is dropped (set NULL) only once
      -- the remote answered, and the outcome is kept for FORWARD_STATUS for a while.
      CREATE TABLE forward_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        server TEXT NOT NULL,
        recipient TEXT NOT NULL,
        sender TEXT NOT NULL,
        sender_key BLOB NOT NULL,
        message_id BLOB NOT NULL,
        envelope BLOB,
        size INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'failed')),
        status TEXT NOT NULL DEFAULT '',
        status_text TEXT NOT NULL DEFAULT '',
        retry_after_ms INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        deposited_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX forward_by_message
        ON forward_queue (sender_key, message_id, server, recipient);
      CREATE INDEX forward_due ON forward_queue (server, state, next_attempt_at);
      CREATE INDEX forward_by_sender ON forward_queue (sender, state);
      -- At the recipient's home: mail from users of each federated node (a sender named
      -- user@server) now in this node's mailboxes, kept by triggers, for the per-remote quota.
      CREATE TABLE mailbox_remote_usage (
        server TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      ) STRICT;
      CREATE TRIGGER mailbox_remote_counted AFTER INSERT ON mailbox
        WHEN instr(NEW.sender, '@') > 0 BEGIN
        INSERT INTO mailbox_remote_usage (server, count, bytes)
          VALUES (substr(NEW.sender, instr(NEW.sender, '@') + 1), 1, NEW.size)
          ON CONFLICT (server) DO UPDATE SET count = count + 1, bytes = bytes + NEW.size;
      END;
      CREATE TRIGGER mailbox_remote_uncounted AFTER DELETE ON mailbox
        WHEN instr(OLD.sender, '@') > 0 BEGIN
        UPDATE mailbox_remote_usage SET count = count - 1, bytes = bytes - OLD.size
          WHERE server = substr(OLD.sender, instr(OLD.sender, '@') + 1);
      END;
    `,
  },
  {
    version: 8,
    sql: `
      -- Federation (issue 12), at the asker's home: the one-time prekeys (classic and KEM) each
      -- federated node handed out for its users in remote lookups, so that a node replaying one
      -- it already handed out is caught. Pruned by age and bounded per remote user.
      CREATE TABLE remote_prekeys_seen (
        server TEXT NOT NULL,
        username TEXT NOT NULL,
        kind INTEGER NOT NULL,
        public_key BLOB NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (server, username, kind, public_key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX remote_prekeys_by_age ON remote_prekeys_seen (seen_at);
      CREATE INDEX remote_prekeys_by_user ON remote_prekeys_seen (server, username, seen_at);
    `,
  },
];
