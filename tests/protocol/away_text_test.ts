/** Away texts: trimmed, at most 200 characters (not bytes), no control characters. */
import assert from "node:assert/strict";
import { checkAwayText } from "../../src/protocol/away_text.ts";
import { MAX_AWAY_CHARS } from "../../src/protocol/limits.ts";

Deno.test("away text: trimmed; empty clears; counted in characters", () => {
  assert.equal(checkAwayText("  gone fishing "), "gone fishing");
  assert.equal(checkAwayText(""), "");
  assert.equal(checkAwayText("   "), "");
  assert.equal(checkAwayText("🎣".repeat(MAX_AWAY_CHARS)).length, 2 * MAX_AWAY_CHARS);
});

Deno.test("away text: too long or with control characters is refused, saying why", () => {
  assert.throws(
    () => checkAwayText("x".repeat(MAX_AWAY_CHARS + 1)),
    (err: unknown) =>
      err instanceof RangeError &&
      err.message === "Away text too long: 201 characters, at most 200",
  );
  for (const hostile of ["\x1b[2J", "a\nb", "bell\x07", "\u202eevil", "c1\u009b"]) {
    assert.throws(() => checkAwayText(hostile), /control characters/, JSON.stringify(hostile));
  }
});
