/**
 * Which of your messages a receipt belongs to: the REPL registers each message it sent (its id,
 * or a room message's pairwise ids) and the line it printed, and every delivered / queued /
 * failed event becomes a line under it — bare when it follows its message directly, else naming
 * the message ("✓ delivered to bob: “hello bob”"). A room message gets one line once every member
 * has an outcome: "✓ #dev: delivered to 2 of 3, 1 queued". Pure state, bounded.
 */
import type { PeerEvent } from "../../peer/events.ts";
import { formatEvent, sanitize, type Style } from "./format.ts";

/** A receipt event. */
export type ReceiptEvent = Extract<PeerEvent, { type: "delivered" | "queued" | "failed" }>;

/** Messages remembered for their receipts, at most. */
const MAX_TRACKED = 1000;
/** Receipts held while a send is in flight (they may arrive before its id is known). */
const MAX_EARLY = 100;
/** Characters of a message quoted in a receipt that does not follow it. */
const EXCERPT_CHARS = 40;

interface RoomTally {
  readonly room: string;
  readonly total: number;
  delivered: number;
  queued: number;
  failed: number;
}

interface Sent {
  readonly excerpt: string;
  /** The print that showed the message. */
  readonly printed: number;
  readonly room?: RoomTally;
  /** Outcomes already counted for this id (a room member's queued, then delivered). */
  outcome?: "queued" | "delivered" | "failed";
}

/** The text quoted for `text` in a receipt. */
export function excerpt(text: string): string {
  const first = text.split("\n", 1)[0]!.trim();
  const cut = first.length > EXCERPT_CHARS ? `${first.slice(0, EXCERPT_CHARS - 1)}…` : first;
  return `“${sanitize(cut)}”`;
}

/** The receipts of one chat. */
export class Receipts {
  readonly #s: Style;
  readonly #isLast: (printed: number) => boolean;
  readonly #sent = new Map<string, Sent>();
  readonly #early: { event: ReceiptEvent; quiet: boolean }[] = [];
  #inFlight = 0;

  /**
   * Receipts styled with `s`; `isLast(printed)` says whether nothing was printed after print
   * number `printed`.
   */
  constructor(s: Style, isLast: (printed: number) => boolean) {
    this.#s = s;
    this.#isLast = isLast;
  }

  /** A send started: its receipts may come before `sent` tells its ids. */
  begin(): void {
    this.#inFlight++;
  }

  /**
   * The send begun last finished: `ids` of `text` (to a user, or to `room`'s members), shown by
   * print number `printed`. Returns the lines of receipts that came early.
   */
  sent(text: string, ids: readonly string[], printed: number, room?: string): string[] {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    const tally = room === undefined
      ? undefined
      : { room, total: ids.length, delivered: 0, queued: 0, failed: 0 };
    for (const id of ids) {
      this.#sent.set(id, { excerpt: excerpt(text), printed, ...(tally ? { room: tally } : {}) });
    }
    while (this.#sent.size > MAX_TRACKED) this.#sent.delete(this.#sent.keys().next().value!);
    return this.#replayEarly();
  }

  /** The send begun last failed (nothing was sent); returns receipts held for nothing. */
  failed(): string[] {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    return this.#replayEarly();
  }

  /**
   * The lines for receipt `event` now (none while it waits for its message, or its room);
   * `quiet`: none unless it is for a message the REPL sent.
   */
  event(event: ReceiptEvent, quiet = false): string[] {
    const sent = this.#sent.get(event.id);
    if (sent === undefined) {
      if (this.#inFlight > 0 && this.#early.length < MAX_EARLY) {
        this.#early.push({ event, quiet });
        return [];
      }
      if (quiet) return [];
      const line = formatEvent(event, this.#s);
      return line === undefined ? [] : [line];
    }
    if (sent.room) return this.#roomEvent(event, sent, sent.room);
    if (event.type !== "queued") this.#sent.delete(event.id);
    const line = formatEvent(event, this.#s)!;
    return [this.#isLast(sent.printed) ? line : `${line} ${this.#s.dim(`(${sent.excerpt})`)}`];
  }

  #roomEvent(event: ReceiptEvent, sent: Sent, tally: RoomTally): string[] {
    const before = sent.outcome;
    if (before === "delivered" || before === "failed") return [];
    if (before === "queued") tally.queued--;
    sent.outcome = event.type;
    tally[event.type]++;
    if (event.type !== "queued") this.#sent.delete(event.id);
    // One line when every member has an outcome; a later delivery of a queued copy adds none.
    if (before !== undefined || tally.delivered + tally.queued + tally.failed < tally.total) {
      return [];
    }
    const s = this.#s;
    const extra = [
      tally.queued > 0 ? `${tally.queued} queued` : "",
      tally.failed > 0 ? `${tally.failed} failed` : "",
    ].filter((x) => x !== "").join(", ");
    const text = `  ${tally.failed > 0 ? "✗" : "✓"} ${tally.room}: delivered to ` +
      `${tally.delivered} of ${tally.total}${extra ? `, ${extra}` : ""}`;
    const line = tally.failed > 0 ? s.red(text) : s.dim(s.green(text));
    return [this.#isLast(sent.printed) ? line : `${line} ${s.dim(`(${sent.excerpt})`)}`];
  }

  #replayEarly(): string[] {
    if (this.#early.length === 0) return [];
    const held = this.#early.splice(0);
    const lines: string[] = [];
    for (const early of held) {
      if (this.#sent.has(early.event.id) || this.#inFlight === 0) {
        lines.push(...this.event(early.event, early.quiet));
      } else {
        this.#early.push(early);
      }
    }
    return lines;
  }
}
