/**
 * Ctrl-C in the chat quits at once — unless files are being sent or received: then the first
 * Ctrl-C says what quitting interrupts, and a second one within a few seconds quits (the
 * transfers resume when both sides run tincan again). Pure but for the clock it is given.
 */
import type { TransferListing } from "../../peer/files/file_transfers.ts";

/** How long after the warning a second Ctrl-C quits. */
export const CONFIRM_MS = 5_000;

/** What a Ctrl-C does: quit, or warn first. */
export type QuitDecision = { readonly quit: true } | {
  readonly quit: false;
  readonly warning: string;
};

/** Decides each Ctrl-C of one REPL. */
export class QuitGuard {
  #warnedAt = -Infinity;

  /** `transfers` lists the transfers (none without file transfers). */
  constructor(
    private readonly transfers: () => readonly TransferListing[],
    private readonly now: () => number = Date.now,
  ) {}

  /** A Ctrl-C was pressed. */
  press(): QuitDecision {
    const moving = this.transfers().filter((t) => t.status === "accepted");
    const at = this.now();
    if (moving.length === 0 || at - this.#warnedAt <= CONFIRM_MS) return { quit: true };
    this.#warnedAt = at;
    const what = moving.map((t) => `${t.name} ${t.outgoing ? "to" : "from"} ${t.peer}`);
    return {
      quit: false,
      warning: `${moving.length === 1 ? "A transfer is" : `${moving.length} transfers are`} ` +
        `running (${what.join(", ")}): press Ctrl-C again to quit anyway (it resumes when you ` +
        `both run tincan again), or /cancel it.`,
    };
  }
}
