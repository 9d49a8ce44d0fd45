/** Wrapping chat lines to the terminal's width. */
import assert from "node:assert/strict";
import { textWidth, visibleWidth } from "../../../src/cli/repl/char_width.ts";
import { wrapLine } from "../../../src/cli/repl/wrap.ts";

Deno.test("wrap: at a space near the edge, continuation rows indented", () => {
  assert.deepEqual(wrapLine("[12:00] bob: the quick brown fox jumps", 20, 4), [
    "[12:00] bob: the",
    "    quick brown fox",
    "    jumps",
  ]);
  assert.deepEqual(wrapLine("short", 20), ["short"]);
});

Deno.test("wrap: a long word is cut; wide characters and colours are measured right", () => {
  const rows = wrapLine("x".repeat(25), 10, 2);
  assert.deepEqual(rows, ["xxxxxxxxxx", "  xxxxxxxx", "  xxxxxxx"]);
  const wide = wrapLine("漢字漢字漢字", 10, 0);
  assert.deepEqual(wide, ["漢字漢字漢", "字"]);
  const colour = wrapLine("\x1b[1mbold\x1b[22m text here", 10, 0);
  assert.ok(colour.every((r) => visibleWidth(r) <= 10));
  assert.equal(textWidth("e\u0301"), 1, "a combining accent takes no column");
  assert.equal(textWidth("👋"), 2);
});
