/**
 * Width-aware wrapping of chat lines for a terminal: a line wider than the terminal is broken at
 * a space where one is near the edge (else anywhere, never inside a wide character or a colour
 * code), and continuation rows are indented so the text stands clear of the time and the name.
 */
import { codePointWidth, visibleWidth } from "./char_width.ts";

/** Continuation rows start this far in, at most (a narrow terminal gets less). */
const MAX_INDENT = 8;

/** `line` (no newlines; SGR colour codes allowed) as rows of at most `width` columns. */
export function wrapLine(line: string, width: number, indent = MAX_INDENT): string[] {
  const columns = Math.max(width, 10);
  const hang = Math.min(indent, Math.floor(columns / 4));
  const rows: string[] = [];
  let row = "";
  let col = 0;
  /** In `row`: after the last space, and the width up to it. */
  let space = -1;
  let spaceCol = 0;
  let i = 0;
  while (i < line.length) {
    if (line.charCodeAt(i) === 0x1b) {
      // deno-lint-ignore no-control-regex
      const sgr = /^\x1b\[[0-9;]*m/.exec(line.slice(i, i + 16));
      if (sgr) {
        row += sgr[0];
        i += sgr[0].length;
        continue;
      }
    }
    const cp = line.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const w = codePointWidth(cp);
    if (col + w > columns) {
      const breakAt = space >= 0 && spaceCol > columns / 2 ? space : row.length;
      const rest = row.slice(breakAt);
      rows.push(row.slice(0, breakAt).trimEnd());
      row = " ".repeat(hang) + rest.trimStart();
      col = hang + visibleWidth(rest.trimStart());
      space = -1;
    }
    row += ch;
    col += w;
    if (ch === " ") {
      space = row.length;
      spaceCol = col;
    }
    i += ch.length;
  }
  rows.push(row);
  return rows;
}
