/**
 * The one place that decides who may use the dashboard: the admin token, compared in constant
 * time and throttled per address, is exchanged for a session (an HttpOnly cookie) that carries a
 * CSRF token every state-changing request must echo. Pure: the caller passes the time.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual, toHex } from "../../crypto/bytes.ts";
import { LoginThrottle } from "../throttle.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "tincan_admin";
/** The header that carries the CSRF token. */
export const CSRF_HEADER = "x-csrf-token";
/** How long a dashboard session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at most; the oldest is dropped first. */
export const MAX_SESSIONS = 100;

/** A signed-in dashboard session. */
export interface AdminSession {
  readonly id: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

/** What a token exchange gave. */
export type LoginOutcome =
  | { readonly ok: true; readonly session: AdminSession }
  | { readonly ok: false; readonly throttled: boolean; readonly message: string };

const encoder = new TextEncoder();

/** Whether two secrets are equal, in time that does not depend on where they differ. */
export function secretEqual(a: string, b: string): boolean {
  return bytesEqual(sha256(encoder.encode(a)), sha256(encoder.encode(b)));
}

function randomToken(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** Admin sessions for one token. */
export class AdminAuth {
  readonly #sessions = new Map<string, AdminSession>();
  readonly #throttle = new LoginThrottle();

  constructor(private readonly token: string) {}

  /** Exchanges `presented` (from `address`) for a session, or says why not. */
  login(presented: string, address: string, now: number): LoginOutcome {
    const keys = [`addr:${address}`];
    const blocked = this.#throttle.begin(keys, now);
    if (blocked !== undefined) {
      return {
        ok: false,
        throttled: true,
        message: `Too many wrong tokens from ${address}; retry in ${
          Math.ceil((blocked - now) / 1000)
        } s`,
      };
    }
    try {
      if (!secretEqual(presented, this.token)) {
        this.#throttle.recordFailure(keys, now);
        return { ok: false, throttled: false, message: "Wrong admin token" };
      }
      this.#throttle.recordSuccess(keys);
    } finally {
      this.#throttle.finish(keys);
    }
    const session = { id: randomToken(), csrf: randomToken(), expiresAt: now + SESSION_TTL_MS };
    this.#sessions.set(session.id, session);
    while (this.#sessions.size > MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    return { ok: true, session };
  }

  /** The live session whose id the cookie holds, or undefined. */
  session(cookie: string | undefined, now: number): AdminSession | undefined {
    if (cookie === undefined) return undefined;
    for (const session of this.#sessions.values()) {
      if (!secretEqual(cookie, session.id)) continue;
      if (session.expiresAt <= now) {
        this.#sessions.delete(session.id);
        return undefined;
      }
      return session;
    }
    return undefined;
  }

  /** Whether `header` is the session's CSRF token. */
  csrfOk(session: AdminSession, header: string | undefined): boolean {
    return header !== undefined && secretEqual(header, session.csrf);
  }

  /** Ends a session. */
  logout(session: AdminSession): void {
    this.#sessions.delete(session.id);
  }
}
