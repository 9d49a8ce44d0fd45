/**
 * What the sending side remembers for session resets (session_reset.ts): the resets of each
 * recipient lately, when this process encrypted each unsettled message, and which were encrypted
 * again once after a refusal on the new session. In memory only: a reset is recent only within
 * this process, so an envelope not known here was made before it (on the dropped session).
 */
import type { MessageIdHex } from "../events.ts";
import { decideReset, type ResetDecision, ResetWindow } from "./session_reset.ts";

/** The reset bookkeeping of our unsettled messages. */
export class ResetTracker {
  /** The session resets of each recipient lately. */
  readonly #resets = new ResetWindow();
  /** When this process encrypted each unsettled message. */
  readonly #encryptedAt = new Map<MessageIdHex, number>();
  /** Messages refused once on a new session and encrypted again (decideReset's `retried`). */
  readonly #retried = new Set<MessageIdHex>();

  /** Our message `id` was encrypted at `now`. */
  encrypted(id: MessageIdHex, now: number): void {
    this.#encryptedAt.set(id, now);
  }

  /** Our message `id` needs no more sending: forgets it. */
  settled(id: MessageIdHex): void {
    this.#encryptedAt.delete(id);
    this.#retried.delete(id);
  }

  /**
   * What a SESSION_RESET from `to` for our message `id` (which has an envelope, or not yet) leads
   * to at `now` (decideReset); a "reset" is noted as `to`'s reset from now on.
   */
  decide(id: MessageIdHex, to: string, hasEnvelope: boolean, now: number): ResetDecision {
    const lastReset = this.#resets.recent(to, now);
    const envelopeAt = hasEnvelope ? this.#encryptedAt.get(id) ?? 0 : undefined;
    const decision = decideReset({
      ...(lastReset === undefined ? {} : { lastReset }),
      ...(envelopeAt === undefined ? {} : { envelopeAt }),
      retried: this.#retried.has(id),
    });
    if (decision === "resend" && envelopeAt !== undefined && lastReset !== undefined) {
      if (envelopeAt >= lastReset) this.#retried.add(id);
    }
    if (decision === "reset") this.#resets.note(to, now);
    return decision;
  }
}
