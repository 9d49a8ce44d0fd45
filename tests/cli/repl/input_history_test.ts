/** The input history file: owner-only, one JSON line each, bounded. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  loadInputHistory,
  MAX_SAVED_CHARS,
  saveInputLine,
} from "../../../src/cli/repl/input_history.ts";

Deno.test("input history: saved lines come back, multi-line ones too; the file is 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "input_history");
    assert.deepEqual(await loadInputHistory(path), []);
    await saveInputLine(path, "/list");
    await saveInputLine(path, "two\nlines");
    await saveInputLine(path, "   ");
    await saveInputLine(path, "x".repeat(MAX_SAVED_CHARS + 1));
    assert.deepEqual(await loadInputHistory(path), ["/list", "two\nlines"]);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    }
    await Deno.writeTextFile(path, "not json\n", { append: true });
    for (let i = 0; i < 10; i++) await saveInputLine(path, `line ${i}`);
    assert.deepEqual(await loadInputHistory(path, 3), ["line 7", "line 8", "line 9"]);
    // Loading compacts a file grown past twice the limit.
    assert.deepEqual(await loadInputHistory(path, 3), ["line 7", "line 8", "line 9"]);
    assert.equal((await Deno.readTextFile(path)).split("\n").length, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
