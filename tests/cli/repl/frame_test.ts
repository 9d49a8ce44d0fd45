/** Footer frames: only changed rows are rewritten. */
import assert from "node:assert/strict";
import { drawFrame, eraseFrame } from "../../../src/cli/repl/frame.ts";

Deno.test("frame: the first draw writes every row and places the cursor", () => {
  const out = drawFrame(undefined, { rows: ["> hi", "status"], cursorRow: 0, cursorColumn: 4 });
  assert.equal(out, "\r> hi\x1b[K\r\nstatus\x1b[K\x1b[1A\r\x1b[4C");
});

Deno.test("frame: an unchanged row is not rewritten; fewer rows clear the rest", () => {
  const prev = { rows: ["> hi", "more", "status"], cursorRow: 1, cursorColumn: 4 };
  const next = { rows: ["> hi!", "status"], cursorRow: 0, cursorColumn: 5 };
  assert.equal(
    drawFrame(prev, next),
    "\x1b[1A\r> hi!\x1b[K\r\nstatus\x1b[K\x1b[J\x1b[1A\r\x1b[5C",
  );
  const same = drawFrame(next, { ...next, cursorColumn: 2 });
  assert.ok(!same.includes("hi!"), "nothing rewritten, the cursor only moves");
  assert.equal(eraseFrame(prev), "\x1b[1A\r\x1b[J");
});
