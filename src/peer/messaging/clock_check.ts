/**
 * Pure: judges the send time a message claims. It is whatever the sender's clock (or the sender)
 * says, so a time far ahead of ours (a message pinned at the end of a conversation for good) or
 * years behind (slipped into the past) is not taken for sorting: such a message is sorted and
 * shown at the time it arrived here, with a note saying what the sender claimed.
 */

/** A claimed send time further ahead of our clock than this is flagged. */
export const MAX_CLOCK_AHEAD_MS = 24 * 60 * 60 * 1000;
/**
 * A claimed send time further behind our clock than this is flagged (a message may wait in an
 * outbox and a mailbox for weeks, not for years).
 */
export const MAX_CLOCK_BEHIND_MS = 365 * 24 * 60 * 60 * 1000;

/** The time a received message is sorted and shown at, and why it is not the claimed one. */
export interface CheckedSendTime {
  /** The claimed time when plausible, else our receive time. */
  readonly sentAt: number;
  /** Set when the claimed time was not used: what the sender claimed. */
  readonly note?: string;
}

/** Judges `claimed` (ms since 1970, the sender's word) against `receivedAt` (our clock). */
export function checkSendTime(claimed: number, receivedAt: number): CheckedSendTime {
  if (claimed > receivedAt + MAX_CLOCK_AHEAD_MS) {
    return {
      sentAt: receivedAt,
      note: `the sender's clock said ${shown(claimed)}, over 24 h ahead`,
    };
  }
  if (claimed < receivedAt - MAX_CLOCK_BEHIND_MS) {
    return {
      sentAt: receivedAt,
      note: `the sender's clock said ${shown(claimed)}, over a year ago`,
    };
  }
  return { sentAt: claimed };
}

/** `claimed` as an ISO time, or a placeholder beyond what a Date can hold. */
function shown(claimed: number): string {
  const date = new Date(claimed);
  return Number.isNaN(date.getTime()) ? "a time out of range" : date.toISOString();
}
