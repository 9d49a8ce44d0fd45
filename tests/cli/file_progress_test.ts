import assert from "node:assert/strict";
import { progressBars } from "../../src/cli/file_progress.ts";
import type { FileEvent, TransferInfo } from "../../src/peer/files/events.ts";

const transfer: TransferInfo = {
  id: "ab".repeat(16),
  peer: "bob",
  outgoing: true,
  name: "a.bin",
  size: 1000,
  sha256: "00".repeat(32),
  path: "/tmp/a.bin",
};

Deno.test("progress bars: a complete transfer's bar ends at 100 %, then a newline", () => {
  const written: string[] = [];
  let time = 0;
  const listen = progressBars((t) => written.push(t), () => time);
  const events: [number, FileEvent][] = [
    [0, { type: "file-started", transfer, fromByte: 0 }],
    [200, { type: "file-progress", transfer, doneBytes: 500 }],
    [250, { type: "file-progress", transfer, doneBytes: 900 }], // within the redraw interval
    [260, { type: "file-complete", transfer }],
  ];
  for (const [at, event] of events) {
    time = at;
    listen(event);
  }
  assert.equal(written.length, 3);
  assert.match(written[0]!, / 50%/);
  assert.match(written[1]!, /100%/);
  assert.equal(written[2], "\n");
});

Deno.test("progress bars: a failed transfer's bar stops where it was", () => {
  const written: string[] = [];
  const listen = progressBars((t) => written.push(t), () => 200);
  listen({ type: "file-started", transfer, fromByte: 0 });
  listen({ type: "file-progress", transfer, doneBytes: 500 });
  listen({ type: "file-failed", transfer, reason: "x" });
  assert.equal(written.length, 2);
  assert.equal(written[1], "\n");
});
