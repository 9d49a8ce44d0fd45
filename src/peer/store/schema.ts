/** The peer's database schema (a profile's peer.db), as versioned migrations (see database.ts). */
import type { Migration } from "../../store/database.ts";

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
  {
    version: 3,
    sql: `
      -- The outbox gains 'queued' (accepted by the recipient's mailbox at the rendezvous, not yet
      -- acknowledged by the recipient). A CHECK constraint cannot be altered: rebuild the table.
      CREATE TABLE outbox_v3 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id BLOB NOT NULL UNIQUE,
        recipient TEXT NOT NULL,
        body BLOB NOT NULL,
        envelope BLOB,
        status TEXT NOT NULL
          CHECK (status IN ('pending', 'sent', 'queued', 'held', 'delivered', 'failed')),
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO outbox_v3
        (seq, message_id, recipient, body, envelope, status, error, created_at, updated_at)
        SELECT seq, message_id, recipient, body, envelope, status, error, created_at, updated_at
        FROM outbox ORDER BY seq;
      DROP TABLE outbox;
      ALTER TABLE outbox_v3 RENAME TO outbox;
      CREATE INDEX outbox_by_recipient ON outbox (recipient, status, seq);
    `,
  },
  {
    version: 4,
    sql: `
      -- File transfers both ways. file_key is sealed with the profile's storage key. For an
      -- incoming transfer, part_path is the partial file and verified_chunks how many chunks of it
      -- passed their AEAD check and were written (a resumed download starts there); for an
      -- outgoing one, path is the file offered.
      CREATE TABLE file_transfers (
        transfer_id BLOB PRIMARY KEY,
        peer TEXT NOT NULL,
        outgoing INTEGER NOT NULL,
        offer_message_id BLOB,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 BLOB NOT NULL,
        file_key BLOB NOT NULL,
        chunk_size INTEGER NOT NULL,
        path TEXT NOT NULL DEFAULT '',
        part_path TEXT NOT NULL DEFAULT '',
        verified_chunks INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL
          CHECK (status IN ('offered', 'accepted', 'rejected', 'complete', 'failed')),
        reason TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX file_transfers_by_status ON file_transfers (status, created_at);
    `,
  },
  {
    version: 5,
    sql: `
      -- Rooms (group chat). list is the latest SignedMemberList accepted; local_name is the
      -- room's name here ("#name", or "#name~abcd" when two rooms share a name).
      CREATE TABLE rooms (
        room_id BLOB PRIMARY KEY,
        local_name TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('invited', 'joined', 'left')),
        list BLOB NOT NULL,
        inviter TEXT NOT NULL DEFAULT '',
        updated_at INTEGER NOT NULL
      ) STRICT;
      -- Sender-key chains per room: ours (member = our own name) and each member's, sealed with
      -- the storage key; shared_generation is the generation of OUR chain given to that member.
      CREATE TABLE room_chains (
        room_id BLOB NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
        member TEXT NOT NULL,
        chain BLOB,
        shared_generation INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (room_id, member)
      ) STRICT;
    `,
  },
  {
    version: 6,
    sql: `
      -- Room messages, sent and received, for /history #room. message_id is the envelope id of
      -- a received one (a handler run twice stores it once) and a random id of a sent one; body
      -- is the text sealed with the profile's storage key; sent_at is the sender's clock.
      CREATE TABLE room_history (
        room_id BLOB NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
        message_id BLOB NOT NULL,
        sender TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        stored_at INTEGER NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (room_id, message_id)
      ) STRICT;
      CREATE INDEX room_history_by_time ON room_history (room_id, sent_at);
    `,
  },
  {
    version: 7,
    sql: `
      -- Duplicates are told apart by (sender, id), not by id alone: otherwise anyone who learns
      -- the id of alice's message (a rendezvous holding it as mail) could first send one carrying
      -- that id, and alice's would be dropped as a duplicate and still acknowledged.
      -- seen: sender_key is the envelope's sender identity key; the ids seen before this have
      -- no sender recorded (x'') and still count as seen from anyone until they age out.
      ALTER TABLE seen RENAME TO seen_by_id;
      CREATE TABLE seen (
        sender_key BLOB NOT NULL,
        message_id BLOB NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (sender_key, message_id)
      ) STRICT;
      INSERT INTO seen (sender_key, message_id, at) SELECT x'', message_id, at FROM seen_by_id;
      DROP TABLE seen_by_id;
      -- history: one line per (peer, id), so another sender's line with the same id is no
      -- duplicate of this one.
      ALTER TABLE history RENAME TO history_by_id;
      CREATE TABLE history (
        message_id BLOB NOT NULL,
        peer TEXT NOT NULL,
        outgoing INTEGER NOT NULL,
        sent_at INTEGER NOT NULL,
        stored_at INTEGER NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (peer, message_id)
      ) STRICT;
      INSERT INTO history SELECT message_id, peer, outgoing, sent_at, stored_at, body
        FROM history_by_id ORDER BY rowid;
      DROP TABLE history_by_id;
      CREATE INDEX history_by_peer ON history (peer, sent_at);
    `,
  },
  {
    version: 8,
    sql: `
      -- Our ML-KEM-768 prekeys for PQXDH: kind 3 last-resort (the newest is published; a
      -- replaced one answers late first messages until its grace period after replaced_at ends),
      -- 4 one-time (deleted once used). seed is the 64-byte decapsulation seed d ‖ z, kept like
      -- own_keys' X25519 private keys.
      CREATE TABLE own_kem_keys (
        kind INTEGER NOT NULL CHECK (kind IN (3, 4)),
        id INTEGER NOT NULL,
        seed BLOB NOT NULL,
        public_key BLOB NOT NULL,
        signature BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        replaced_at INTEGER,
        PRIMARY KEY (kind, id)
      ) STRICT;
      -- Per contact: whether its bundles or sessions ever had post-quantum keys (so a later
      -- bundle without them is a downgrade), and the key agreement of its newest session.
      ALTER TABLE contacts ADD COLUMN pq_seen INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE contacts ADD COLUMN session_protocol TEXT
        CHECK (session_protocol IN ('pqxdh', 'x3dh'));
    `,
  },
  {
    version: 9,
    sql: `
      -- The head of each contact's key log at the rendezvous, as last verified: how many entries,
      -- the SHA-256 of the last one and of the first one (the account's creation, at created_at),
      -- and the key it ends with. A later log must extend it.
      CREATE TABLE key_log_heads (
        username TEXT PRIMARY KEY,
        length INTEGER NOT NULL,
        head BLOB NOT NULL,
        first_hash BLOB NOT NULL,
        identity_key BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        checked_at INTEGER NOT NULL
      ) STRICT;
      -- Identity keys retired from a contact's account (it moved to another key): never again
      -- accepted as that contact.
      CREATE TABLE retired_keys (
        username TEXT NOT NULL,
        identity_key BLOB NOT NULL,
        retired_at INTEGER NOT NULL,
        PRIMARY KEY (username, identity_key)
      ) STRICT;
      -- A message received from a changed key not yet trusted as its sender (shown as such).
      ALTER TABLE history ADD COLUMN untrusted INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 10,
    sql: `
      -- Messages \`tincan listen\` received (stored and acknowledged) but has not printed yet: it
      -- stopped at --count N first, or was stopped between storing and printing. The next listen
      -- prints them first, oldest first. The text is in history (by peer and id); this keeps how it
      -- arrived.
      CREATE TABLE listen_unread (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        peer TEXT NOT NULL,
        message_id BLOB NOT NULL,
        recipient TEXT NOT NULL,
        via TEXT NOT NULL CHECK (via IN ('direct', 'relayed', 'mailbox')),
        key_changed INTEGER NOT NULL,
        UNIQUE (peer, message_id)
      ) STRICT;
      -- SESSION_RESET answers to mail that no session decrypted, waiting until its sender (by
      -- the key that signed it) can be reached on a chat link (messaging/reset_answers.ts).
      CREATE TABLE session_resets (
        sender_key BLOB NOT NULL,
        message_id BLOB NOT NULL,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (sender_key, message_id)
      ) STRICT;
    `,
  },
  {
    version: 11,
    sql: `
      -- Compare-and-set for key material (compare_and_set.ts): a ratchet session or sender-key
      -- chain is saved only while its row still has the version the new state was derived from,
      -- so two processes on one profile cannot both use the same message key.
      ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE room_chains ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 0;
      -- When a session last decrypted a message (0: never; the peer may not hold it yet): two
      -- sessions both in use converge on one (session_choice.ts).
      ALTER TABLE sessions ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 12,
    sql: `
      -- rooms.parent_list: the signed member list the current one replaced (NULL when unknown),
      -- so a member can check and rank a list an admin signed concurrently with the current one.
      ALTER TABLE rooms ADD COLUMN parent_list BLOB;
    `,
  },
  {
    version: 13,
    sql: `
      -- Federation: the key pinned (trust on first use) for each federated rendezvous node whose
      -- users we talk to, as our home vouched for it; a different key later waits here for /trust.
      CREATE TABLE server_keys (
        name TEXT PRIMARY KEY,
        server_key BLOB NOT NULL,
        pending_key BLOB,
        first_seen INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      `,
  },
  {
    version: 14,
    sql: `
      -- Secret keys are sealed at rest with the profile's storage key from here on, like message
      -- bodies: own_keys.private_key, own_kem_keys.seed and sessions.state (store/sealed_keys.ts).
      -- SQL cannot encrypt, so this only marks the rows written before as plaintext; the profile
      -- opener seals them once, in one transaction, and sets this to 'sealed'. (An older tincan
      -- refuses this schema version rather than read sealed keys as plaintext ones.)
      INSERT INTO settings (name, value) VALUES ('keys-at-rest', 'plaintext')
        ON CONFLICT (name) DO UPDATE SET value = 'plaintext';
    `,
  },
];
