import assert from "node:assert/strict";
import { roundTimeline, type Stamp } from "../../bench/messages_trace.ts";

Deno.test("roundTimeline: both sides' stamps, cut into rounds at alice's sends, as mean offsets", () => {
  const stamps: Stamp[] = [
    { side: "bob", step: "stray, before any round", at: 1 },
    { side: "alice", step: "send", at: 100 },
    { side: "bob", step: "read", at: 102 },
    { side: "bob", step: "save", at: 103 },
    { side: "bob", step: "save", at: 105 },
    { side: "alice", step: "reply", at: 110 },
    { side: "alice", step: "send", at: 200 },
    { side: "bob", step: "read", at: 204 },
    { side: "bob", step: "save", at: 205 },
    { side: "bob", step: "save", at: 207 },
    { side: "alice", step: "reply", at: 220 },
    { side: "bob", step: "once only", at: 221 },
  ];
  const { rounds, steps } = roundTimeline([...stamps].reverse(), "alice", "send");
  assert.equal(rounds, 2);
  assert.deepEqual(
    steps.map((s) => [s.side, s.step, s.meanMs]),
    [
      ["alice", "send", 0],
      ["bob", "read", 3],
      ["bob", "save", 4],
      ["bob", "save #2", 6],
      ["alice", "reply", 15],
      ["bob", "once only", 21], // in half the rounds: kept
    ],
  );
});

Deno.test("roundTimeline: the median offsets, which one stalled round does not move", () => {
  const stamps: Stamp[] = [];
  for (const [i, readAfter] of [2, 3, 40].entries()) {
    stamps.push({ side: "alice", step: "send", at: 100 * (i + 1) });
    stamps.push({ side: "bob", step: "read", at: 100 * (i + 1) + readAfter });
  }
  const { steps } = roundTimeline(stamps, "alice", "send");
  assert.deepEqual(
    steps.map((s) => [s.step, s.medianMs, s.meanMs]),
    [["send", 0, 0], ["read", 3, 15]],
  );
});
