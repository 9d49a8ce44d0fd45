import assert from "node:assert/strict";
import { aborted, stopSignals } from "../../src/cli/signals.ts";

Deno.test("stop signals: SIGTERM where Deno has it, SIGBREAK on Windows", () => {
  assert.deepEqual(stopSignals("linux"), ["SIGINT", "SIGTERM"]);
  assert.deepEqual(stopSignals("darwin"), ["SIGINT", "SIGTERM"]);
  assert.deepEqual(stopSignals("windows"), ["SIGINT", "SIGBREAK"]);
});

Deno.test("aborted resolves at once for an aborted signal, later for a live one", async () => {
  await aborted(AbortSignal.abort());
  const controller = new AbortController();
  let done = false;
  const waiting = aborted(controller.signal).then(() => done = true);
  await Promise.resolve();
  assert.equal(done, false);
  controller.abort();
  await waiting;
  assert.equal(done, true);
});
