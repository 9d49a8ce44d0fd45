import assert from "node:assert/strict";
import { CONFIRM_MS, QuitGuard } from "../../../src/cli/repl/quit_guard.ts";
import type { TransferListing } from "../../../src/peer/files/file_transfers.ts";

const transfer = (status: TransferListing["status"], name = "a.bin"): TransferListing => ({
  id: "aa",
  peer: "bob",
  outgoing: true,
  name,
  size: 1,
  sha256: "00",
  path: "/a.bin",
  status,
  reason: "",
});

Deno.test("quit guard: Ctrl-C quits at once when no data is moving", () => {
  const guard = new QuitGuard(() => [transfer("offered"), transfer("complete")]);
  assert.deepEqual(guard.press(), { quit: true });
});

Deno.test("quit guard: mid-transfer the first Ctrl-C warns, a second soon after quits", () => {
  let now = 1_000;
  const guard = new QuitGuard(() => [transfer("accepted", "big.iso")], () => now);
  const first = guard.press();
  assert.equal(first.quit, false);
  assert.match(
    (first as { warning: string }).warning,
    /^A transfer is running \(big\.iso to bob\): press Ctrl-C again to quit anyway/,
  );
  now += 1_000;
  assert.deepEqual(guard.press(), { quit: true });
  // Much later it warns again.
  const later = new QuitGuard(() => [transfer("accepted")], () => now);
  later.press();
  now += CONFIRM_MS + 1;
  assert.equal(later.press().quit, false);
});
