/** The rendezvous database schema, as versioned migrations (see database.ts). */
import type { Migration } from "./database.ts";

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
];
