/** The peer's database schema (a profile's peer.db), as versioned migrations (see database.ts). */
import type { Migration } from "./database.ts";

export const PEER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    sql: `
      -- Our X25519 keys: kind 0 identity-DH (id 0), 1 signed prekey, 2 one-time prekey.
      CREATE TABLE own_keys (
        kind INTEGER NOT NULL,
        id INTEGER NOT NULL,
        private_key BLOB NOT NULL,
        public_key BLOB NOT NULL,
        signature BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      ) STRICT;
      -- Pinned identity keys (TOFU); pending_key is a different key seen later, not yet trusted.
      CREATE TABLE contacts (
        username TEXT PRIMARY KEY,
        identity_key BLOB NOT NULL,
        verified INTEGER NOT NULL DEFAULT 0,
        pending_key BLOB,
        first_seen INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      -- Double Ratchet sessions; prekey_header is repeated on our first messages until a reply.
      CREATE TABLE sessions (
        username TEXT NOT NULL,
        session_id BLOB NOT NULL,
        identity_key BLOB NOT NULL,
        state BLOB NOT NULL,
        prekey_header BLOB,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (username, session_id)
      ) STRICT;
      -- Every outgoing message until the recipient acknowledges it. body is sealed with the
      -- profile's storage key; envelope is the signed envelope once encrypted for the recipient.
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id BLOB NOT NULL UNIQUE,
        recipient TEXT NOT NULL,
        body BLOB NOT NULL,
        envelope BLOB,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'held', 'delivered', 'failed')),
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX outbox_by_recipient ON outbox (recipient, status, seq);
      -- Conversation history; body is sealed with the profile's storage key.
      CREATE TABLE history (
        message_id BLOB PRIMARY KEY,
        peer TEXT NOT NULL,
        outgoing INTEGER NOT NULL,
        sent_at INTEGER NOT NULL,
        stored_at INTEGER NOT NULL,
        body BLOB NOT NULL
      ) STRICT;
      CREATE INDEX history_by_peer ON history (peer, sent_at);
      -- Ids of envelopes already processed, for duplicate and replay detection.
      CREATE TABLE seen (
        message_id BLOB PRIMARY KEY,
        at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];
