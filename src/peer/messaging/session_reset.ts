/**
 * Session recovery (as Signal does for undecryptable messages). A peer that receives an envelope
 * it has no session for — its state was lost, repaired, or restored from an older backup —
 * answers with an Ack of result SESSION_RESET (chat.proto) instead of REJECTED. The sender then
 * drops its sessions with that peer, re-encrypts what is unacknowledged on a new session (X3DH
 * with a fresh prekey bundle) and sends it again. Both users are told once.
 *
 * Bounded so it cannot loop or amplify: an Ack is never answered; each envelope gets one Ack;
 * a sender starts at most one reset per contact per SESSION_RESET_WINDOW_MS, and a message that
 * is refused twice more on the new session inside that window fails for good, with the reason.
 */

/** A sender starts at most one session reset per contact within this time. */
export const SESSION_RESET_WINDOW_MS = 10 * 60_000;
/** Most contacts (or sender keys) remembered at once; the oldest are forgotten first. */
const MAX_REMEMBERED = 1000;

/** What to do with our message a contact answered SESSION_RESET for. */
export type ResetDecision =
  /** No reset with this contact lately: drop the sessions, resend everything unacknowledged. */
  | "reset"
  /** It was encrypted on the session a recent reset dropped: encrypt it again, send it again. */
  | "resend"
  /** It is waiting to be encrypted on the new session already: nothing to do. */
  | "ignore"
  /** It was refused twice on the new session: fail it (no second reset in the window). */
  | "fail";

/** What is known of the message and of the last reset when a SESSION_RESET arrives. */
export interface ResetFacts {
  /** When the last reset with this contact started, if within the window. */
  readonly lastReset?: number;
  /** When the message's envelope was made; undefined when it has none (pending). */
  readonly envelopeAt?: number;
  /**
   * Whether it was already encrypted again once after a refusal on the new session (a late
   * answer to its old envelope can arrive after it was re-encrypted: that earns one more try).
   */
  readonly retried?: boolean;
}

/** Decides what a SESSION_RESET for one of our messages leads to (pure). */
export function decideReset(facts: ResetFacts): ResetDecision {
  if (facts.lastReset === undefined) return "reset";
  if (facts.envelopeAt === undefined) return "ignore";
  if (facts.envelopeAt < facts.lastReset) return "resend";
  return facts.retried ? "fail" : "resend";
}

/** The last reset time of each key, forgotten after SESSION_RESET_WINDOW_MS (pure; in memory). */
export class ResetWindow {
  readonly #last = new Map<string, number>();

  /** When the last reset for `key` happened, if within the window before `now`. */
  recent(key: string, now: number): number | undefined {
    const at = this.#last.get(key);
    if (at === undefined) return undefined;
    if (now - at < SESSION_RESET_WINDOW_MS) return at;
    this.#last.delete(key);
    return undefined;
  }

  /** Notes a reset for `key` at `now`. */
  note(key: string, now: number): void {
    this.#last.delete(key);
    this.#last.set(key, now);
    if (this.#last.size > MAX_REMEMBERED) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
  }
}
