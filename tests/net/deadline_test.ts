import assert from "node:assert/strict";
import { deadline } from "../../src/net/deadline.ts";

Deno.test("a deadline aborts with a TimeoutError when its time is up", async () => {
  const late = deadline(10);
  await new Promise((resolve) => late.signal.addEventListener("abort", resolve, { once: true }));
  assert.ok(late.signal.reason instanceof DOMException);
  assert.equal(late.signal.reason.name, "TimeoutError");
});

Deno.test("a cleared deadline never aborts", async () => {
  const late = deadline(10);
  late.clear();
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(late.signal.aborted, false);
});
