/**
 * The chat's footer (input rows and the status line) as frames, and the escape sequences that
 * turn one drawn frame into the next rewriting only the rows that changed. Pure: the terminal
 * adapter writes what these return. The terminal's cursor is assumed to be where the previous
 * frame left it; output uses "\r\n" (raw mode does no newline translation).
 */

/** One drawn footer. */
export interface Frame {
  /** Rows, top to bottom; none wider than the terminal. */
  readonly rows: readonly string[];
  /** Where the cursor is left. */
  readonly cursorRow: number;
  readonly cursorColumn: number;
}

const up = (n: number) => n > 0 ? `\x1b[${n}A` : "";
const right = (n: number) => n > 0 ? `\x1b[${n}C` : "";

/** From where `frame` left the cursor to the start of its first row. */
export function toFrameTop(frame: Frame | undefined): string {
  return frame === undefined ? "\r" : `${up(frame.cursorRow)}\r`;
}

/**
 * What turns `prev` (undefined: nothing drawn, the cursor at the start of an empty row) into
 * `next`: unchanged rows are skipped, changed ones rewritten, rows `next` no longer has cleared.
 */
export function drawFrame(prev: Frame | undefined, next: Frame): string {
  let out = toFrameTop(prev);
  const old = prev?.rows ?? [];
  const last = next.rows.length - 1;
  for (let r = 0; r <= last; r++) {
    const row = next.rows[r]!;
    if (old[r] !== row) out += `${row}\x1b[K`;
    if (r < last) out += "\r\n";
  }
  if (old.length > next.rows.length) out += "\x1b[J";
  out += `${up(last - next.cursorRow)}\r${right(next.cursorColumn)}`;
  return out;
}

/** What erases `frame` and leaves the cursor at the start of its first row (to print above). */
export function eraseFrame(frame: Frame | undefined): string {
  return `${toFrameTop(frame)}\x1b[J`;
}
