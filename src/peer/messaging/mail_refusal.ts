/**
 * What a mailbox refusal means for the message refused: it fails (retrying would not help), it
 * waits for a full mailbox (the user is told, and it is deposited again after the pause the
 * rendezvous names), or it is retried with the recipient's other attempts. Pure.
 */
import { RemoteError } from "../../errors.ts";

/**
 * Mailbox refusals that make the message fail (reported to the user, never resent): retrying
 * would not help.
 */
const FINAL_MAILBOX_REFUSALS = new Set([
  "E_UNKNOWN_SERVER",
  "E_TOO_LARGE",
  "E_NOT_FOUND",
  "E_INVALID_USERNAME",
  "E_KEY_RETIRED",
]);
/**
 * Mailbox refusals that pass: the recipient's mailbox is full, or holds all it takes from us,
 * until the recipient fetches. The message waits in the outbox (the user is told) and is
 * deposited again after the pause the rendezvous names, or FULL_MAILBOX_RETRY_MS.
 */
const FULL_MAILBOX_REFUSALS = new Set(["E_MAILBOX_FULL", "E_SENDER_QUOTA", "E_REMOTE_QUOTA"]);
/** The pause before depositing again in a full mailbox when the rendezvous names none. */
export const FULL_MAILBOX_RETRY_MS = 10 * 60_000;

/** What to do with a message whose deposit in `recipient`'s mailbox failed. */
export type MailRefusal =
  /** It fails for good, for `reason`. */
  | { readonly verdict: "fail"; readonly reason: string }
  /** The mailbox is full: tell the user `notice`, and try again after `notBeforeMs`. */
  | { readonly verdict: "wait"; readonly notice: string; readonly notBeforeMs: number }
  /** Retry later; `forget`: what we knew of the recipient (its key) is wrong. */
  | { readonly verdict: "retry"; readonly why: string; readonly forget: boolean };

/** Judges the error `err` of a deposit in `recipient`'s mailbox. */
export function judgeMailRefusal(err: unknown, recipient: string): MailRefusal {
  if (err instanceof RemoteError && FINAL_MAILBOX_REFUSALS.has(err.status)) {
    return { verdict: "fail", reason: `the rendezvous mailbox refused it: ${err.message}` };
  }
  if (err instanceof RemoteError && FULL_MAILBOX_REFUSALS.has(err.status)) {
    const notBeforeMs = err.retryAfterMs ?? FULL_MAILBOX_RETRY_MS;
    const what = err.status === "E_REMOTE_QUOTA"
      ? `${recipient}'s server takes no more mail from this rendezvous now`
      : `${recipient}'s mailbox is full`;
    return {
      verdict: "wait",
      notice: `${what} (${err.message}); your message waits and is tried again in ` +
        `${Math.ceil(notBeforeMs / 60_000)} min`,
      notBeforeMs,
    };
  }
  return {
    verdict: "retry",
    why: `cannot mail ${recipient}: ${(err as Error).message}`,
    // Its key changed: what we knew is wrong now.
    forget: err instanceof RemoteError && err.status === "E_WRONG_RECIPIENT",
  };
}
