/**
 * Pure: which of a contact's sessions we send with. Two sides that start a session at once each
 * hold both sessions; sending with "the most recently used" then lets them alternate for as long
 * as they send at once (each answers on the session the other just used). Instead, once the peer
 * has shown it holds several sessions (each decrypted a message lately), both sides send with the
 * one whose id is lowest — the ids are the same on both sides, so both pick the same one, and the
 * other falls silent (libsignal converges the same way: on the session both last used).
 *
 * A session we just started (newest, never decrypted) still sends — a fresh start must take
 * effect — and a session that last decrypted over SESSION_CONVERGE_WINDOW_MS before the latest
 * decrypt is passed over (the peer may have lost it). A session the peer starts marks the others
 * not in use until they decrypt again (RatchetSessionStore.save), so a peer that lost its state
 * and started afresh is answered on its new session.
 */
import type { StoredSession } from "../store/ratchet_sessions.ts";

/**
 * Sessions that decrypted within this long of the latest decrypt count as all in use; the
 * lowest id among them sends.
 */
export const SESSION_CONVERGE_WINDOW_MS = 10 * 60 * 1000;

/** The session to send with among `sessions` (most recently used first), or undefined if none. */
export function sendingSession(
  sessions: readonly StoredSession[],
): StoredSession | undefined {
  const newest = sessions[0];
  if (newest === undefined || !newest.receivedAt) return newest;
  const latest = Math.max(...sessions.map((s) => s.receivedAt ?? 0));
  const inUse = sessions.filter((s) =>
    (s.receivedAt ?? 0) > 0 && (s.receivedAt ?? 0) >= latest - SESSION_CONVERGE_WINDOW_MS
  );
  return inUse.reduce((low, s) => compareBytes(s.sessionId, low.sessionId) < 0 ? s : low);
}

/** Bytewise order of two ids. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}
