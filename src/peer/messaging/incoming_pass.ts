/**
 * What one pass of Incoming (incoming.ts) over a received envelope gives, under the sender's
 * lock: its outcome, what it will write when committed, and the batch a group commit gathers.
 */
import type { PeerEvent } from "../events.ts";
import type { StoredSession } from "../store/ratchet_sessions.ts";
import type { Received } from "./received_commit.ts";

/** What receiving one opened envelope gave. */
export type Outcome =
  | { readonly result: "stored"; readonly from: string; readonly kind: string }
  | { readonly result: "duplicate" }
  | { readonly result: "rejected"; readonly reason: string }
  /** Validly signed, but no session of ours decrypts it: the sender should start a new one. */
  | { readonly result: "reset"; readonly reason: string };

/** What a received message writes in its commit, and the event to emit once it is committed. */
export interface Deferred {
  readonly received: Received;
  readonly also?: () => void;
  readonly event?: PeerEvent;
}

/**
 * One pass under the sender's lock: done; the claimed sender needs certifying first; ready to
 * commit (a chat message: the caller commits it, alone or with the rest of its batch); or, in a
 * batch, a message to process alone (nothing was written or reported for it yet).
 */
export type Pass =
  | Outcome
  | { readonly result: "certify"; readonly claimed: string }
  | { readonly result: "ready"; readonly deferred: Deferred; readonly outcome: Outcome }
  | { readonly result: "alone" };

/** The messages of a batch decrypted so far and not committed yet. */
export interface Batch {
  /** The sessions they advanced, by session id hex, in their latest state. */
  readonly unsaved: Map<string, StoredSession>;
  /** Their ids (hex): a second copy in the same frame is a duplicate. */
  readonly ids: Set<string>;
  /**
   * The sender's stored sessions as the batch's first decryption read them, and the username
   * they were read for: the later messages decrypt from these (and `unsaved`) instead of
   * reading and opening them again.
   */
  stored?: { readonly username: string; readonly sessions: readonly StoredSession[] };
}
