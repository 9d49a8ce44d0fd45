/**
 * Which key agreement each contact's sessions use (PQXDH or X3DH), and whether the contact ever
 * had post-quantum keys: a new X3DH session with a contact that had them is a downgrade, which
 * the caller reports (columns pq_seen and session_protocol of the contacts table).
 */
import type { DatabaseSync } from "node:sqlite";
import type { HandshakeProtocol } from "../../crypto/pqxdh.ts";
import { prepared, selectOne } from "../../store/database.ts";

/** What is known of a contact's key agreement. */
export interface ContactProtocol {
  /** The key agreement of the newest session with the contact; undefined before the first. */
  readonly protocol: HandshakeProtocol | undefined;
  /** Whether a bundle or a first message of the contact ever had post-quantum keys. */
  readonly pqSeen: boolean;
}

/**
 * How a contact's sessions are set up, as /verify says it: PQXDH; X3DH because the contact never
 * published post-quantum keys; X3DH although it had (a downgrade); or no session yet.
 */
export type SessionProtocol = "pqxdh" | "x3dh" | "x3dh-downgraded" | "none";

/** The SessionProtocol of what is known of a contact. */
export function sessionProtocolOf(known: ContactProtocol): SessionProtocol {
  if (known.protocol === undefined) return "none";
  if (known.protocol === "pqxdh") return "pqxdh";
  return known.pqSeen ? "x3dh-downgraded" : "x3dh";
}

/** The per-contact protocol columns of the contacts table. */
export class ContactProtocolStore {
  constructor(private readonly db: DatabaseSync) {}

  /** What is known of `username`'s key agreement (nothing for a non-contact). */
  get(username: string): ContactProtocol {
    const row = selectOne<{ pq_seen: number; session_protocol: string | null }>(
      this.db,
      "SELECT pq_seen, session_protocol FROM contacts WHERE username = ?",
      username,
    );
    const protocol = row?.session_protocol;
    return {
      protocol: protocol === "pqxdh" || protocol === "x3dh" ? protocol : undefined,
      pqSeen: Number(row?.pq_seen ?? 0) === 1,
    };
  }

  /**
   * Records that a new session with `username` uses `protocol` (inside the caller's transaction
   * that stores the session). Returns true for a downgrade: X3DH with a contact that had
   * post-quantum keys before (pq_seen stays set, so every such session is reported).
   */
  recordSession(username: string, protocol: HandshakeProtocol, now: number): boolean {
    const downgrade = protocol === "x3dh" && this.get(username).pqSeen;
    prepared(
      this.db,
      `UPDATE contacts SET session_protocol = ?, pq_seen = max(pq_seen, ?), updated_at = ?
         WHERE username = ?`,
    ).run(protocol, protocol === "pqxdh" ? 1 : 0, now, username);
    return downgrade;
  }
}
