/**
 * The sessions table: its compare-and-set across two connections to one peer.db (two processes),
 * and the session cap — per (username, identity key), so a changed, untrusted key (a rogue
 * rendezvous certifying its own key for bob) cannot evict bob's live sessions by starting many of
 * its own.
 */
import assert from "node:assert/strict";
import { StaleStateError } from "../../../src/peer/store/compare_and_set.ts";
import { ContactStore } from "../../../src/peer/store/contacts.ts";
import {
  MAX_SESSIONS_PER_KEY,
  RatchetSessionStore,
  type StoredSession,
} from "../../../src/peer/store/ratchet_sessions.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { openDatabase } from "../../../src/store/database.ts";
import { withTwoConnections } from "./two_processes.ts";

/** The storage key the stores here seal keys and states with. */
const STORAGE_KEY = new Uint8Array(32).fill(7);

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
  const sessions = new RatchetSessionStore(db, STORAGE_KEY);
  contacts.pin("bob", BOB, NOW);
  assert.equal(sessions.has("bob", BOB), false);
  sessions.save(session(BOB, 1));
  sessions.save(session(BOB, 2));
  assert.equal(sessions.has("bob", BOB), true);
  assert.equal(sessions.has("bob", MALLORY), false);
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
  const sessions = new RatchetSessionStore(db, STORAGE_KEY);
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

Deno.test("sessions: a save derived from a version the row no longer has is refused", async () => {
  await withTwoConnections((one, two) => {
    const a = new RatchetSessionStore(one, STORAGE_KEY);
    const b = new RatchetSessionStore(two, STORAGE_KEY);
    const fresh = {
      username: "bob",
      sessionId: Uint8Array.of(1),
      identityKey: Uint8Array.of(2),
      state: Uint8Array.of(0),
      updatedAt: 1,
    };
    a.save(fresh);
    assert.throws(() => b.save(fresh), StaleStateError, "a new session is inserted once");
    const [readByA] = a.list("bob", fresh.identityKey);
    const [readByB] = b.list("bob", fresh.identityKey);
    a.save({ ...readByA!, state: Uint8Array.of(1), updatedAt: 2 });
    assert.throws(
      () => b.save({ ...readByB!, state: Uint8Array.of(9), updatedAt: 2 }),
      StaleStateError,
    );
    const [stored] = b.list("bob", fresh.identityKey);
    assert.deepEqual(stored!.state, Uint8Array.of(1));
    b.save({ ...stored!, state: Uint8Array.of(2), updatedAt: 3 });
    assert.deepEqual(a.list("bob", fresh.identityKey)[0]!.state, Uint8Array.of(2));
  });
});

Deno.test("RatchetSessionStore: a new session the peer started marks the others not in use", () => {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const sessions = new RatchetSessionStore(db, STORAGE_KEY);
  sessions.save({ ...session(BOB, 1), receivedAt: NOW + 1 });
  sessions.save(session(BOB, 2)); // ours, never decrypted: changes nothing
  assert.equal(sessions.list("bob", BOB).find((s) => s.sessionId[0] === 1)!.receivedAt, NOW + 1);
  sessions.save({ ...session(BOB, 3), receivedAt: NOW + 3 }); // the peer started afresh
  assert.deepEqual(
    sessions.list("bob", BOB).map((s) => [s.sessionId[0], s.receivedAt]),
    [[3, NOW + 3], [2, 0], [1, 0]],
  );
  db.close();
});
