/**
 * Which session sends (the pure choice; session_manager_test.ts has two SessionManagers
 * converging with it).
 */
import assert from "node:assert/strict";
import {
  sendingSession,
  SESSION_CONVERGE_WINDOW_MS,
} from "../../../src/peer/messaging/session_choice.ts";
import type { StoredSession } from "../../../src/peer/store/ratchet_sessions.ts";

const NOW = 1_700_000_000_000;

function session(id: number, updatedAt: number, receivedAt?: number): StoredSession {
  return {
    username: "bob",
    sessionId: Uint8Array.of(id),
    identityKey: Uint8Array.of(0),
    state: new Uint8Array(0),
    updatedAt,
    ...(receivedAt === undefined ? {} : { receivedAt }),
  };
}

Deno.test("sendingSession: a fresh start sends; else the lowest id among those in use", () => {
  assert.equal(sendingSession([]), undefined);
  const started = session(9, NOW + 2);
  assert.equal(sendingSession([started, session(1, NOW, NOW)]), started, "ours, just started");
  const two = [session(9, NOW + 2, NOW + 2), session(3, NOW + 1, NOW + 1), session(1, NOW)];
  assert.equal(sendingSession(two)!.sessionId[0], 3, "never decrypted: the peer may lack it");
  const stale = [session(9, NOW, NOW), session(1, NOW - 1, NOW - SESSION_CONVERGE_WINDOW_MS - 1)];
  assert.equal(sendingSession(stale)!.sessionId[0], 9, "long silent: the peer may have lost it");
});
