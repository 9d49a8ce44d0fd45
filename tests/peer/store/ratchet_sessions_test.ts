/**
 * The session cap: per (username, identity key), so a changed, untrusted key (a rogue rendezvous
 * certifying its own key for bob) cannot evict bob's live sessions by starting many of its own.
 */
import assert from "node:assert/strict";
import { ContactStore } from "../../../src/peer/store/contacts.ts";
import {
  MAX_SESSIONS_PER_KEY,
  RatchetSessionStore,
  type StoredSession,
} from "../../../src/peer/store/ratchet_sessions.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openDatabase } from "../../../src/store/database.ts";

const NOW = 1_700_000_000_000;
const BOB = new Uint8Array(32).fill(1);
const MALLORY = new Uint8Array(32).fill(2);
const OTHER = new Uint8Array(32).fill(3);

function session(identityKey: Uint8Array, n: number): StoredSession {
  return {
    username: "bob",
    sessionId: new Uint8Array(16).fill(n),
    identityKey,
    state: new Uint8Array([n]),
    updatedAt: NOW + n,
  };
}

Deno.test("RatchetSessionStore: sessions from a changed key do not evict the pinned key's", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const contacts = new ContactStore(db);
  const sessions = new RatchetSessionStore(db);
  contacts.pin("bob", BOB, NOW);
  sessions.save(session(BOB, 1));
  sessions.save(session(BOB, 2));
  // The attack: the rendezvous certifies Mallory's key for bob; every first message from it
  // starts a new session, more than the cap.
  contacts.setPending("bob", MALLORY, NOW);
  for (let n = 10; n < 10 + MAX_SESSIONS_PER_KEY + 3; n++) sessions.save(session(MALLORY, n));
  assert.equal(sessions.list("bob", BOB).length, 2, "the live sessions were evicted");
  assert.equal(sessions.list("bob", MALLORY).length, MAX_SESSIONS_PER_KEY);
  db.close();
});

Deno.test("RatchetSessionStore: each key keeps its most recent sessions; others' keys are dropped", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const contacts = new ContactStore(db);
  const sessions = new RatchetSessionStore(db);
  contacts.pin("bob", BOB, NOW);
  for (let n = 1; n <= MAX_SESSIONS_PER_KEY + 2; n++) sessions.save(session(BOB, n));
  assert.deepEqual(
    sessions.list("bob", BOB).map((s) => s.sessionId[0]),
    [6, 5, 4, 3],
  );
  // A key that is neither pinned nor pending (a retired one): its sessions go at the next save.
  sessions.save(session(OTHER, 20));
  sessions.save(session(BOB, 7));
  assert.equal(sessions.list("bob", OTHER).length, 0);
  assert.equal(sessions.list("bob", BOB).length, MAX_SESSIONS_PER_KEY);
  db.close();
});
