import assert from "node:assert/strict";
import { join } from "node:path";
import { LogTails } from "../../bench/log_tails.ts";

Deno.test("log tails: each poll gives the whole lines appended since the last, from every file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-log-tails-" });
  const [a, b] = [join(dir, "a.log"), join(dir, "b.log")];
  const tails = new LogTails();
  tails.follow(a);
  tails.follow(b);
  try {
    assert.deepEqual(await tails.newLines(), [], "neither file exists yet");
    await Deno.writeTextFile(a, "one\ntw");
    assert.deepEqual(await tails.newLines(), ["one"], "a line not ended yet waits");
    await Deno.writeTextFile(a, "o\nthree\n", { append: true });
    await Deno.writeTextFile(b, "é and ü\n");
    assert.deepEqual(await tails.newLines(), ["two", "three", "é and ü"]);
    assert.deepEqual(await tails.newLines(), [], "nothing new");
    // A character split across two appends is decoded whole.
    const bytes = new TextEncoder().encode("ü\n");
    await Deno.writeFile(b, bytes.subarray(0, 1), { append: true });
    assert.deepEqual(await tails.newLines(), []);
    await Deno.writeFile(b, bytes.subarray(1), { append: true });
    assert.deepEqual(await tails.newLines(), ["ü"]);
  } finally {
    tails.close();
    await Deno.remove(dir, { recursive: true });
  }
});
