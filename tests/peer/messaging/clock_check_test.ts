import assert from "node:assert/strict";
import {
  checkSendTime,
  MAX_CLOCK_AHEAD_MS,
  MAX_CLOCK_BEHIND_MS,
} from "../../../src/peer/messaging/clock_check.ts";

const NOW = 1_700_000_000_000;

Deno.test("checkSendTime: plausible times are kept, far-off ones replaced by ours with a note", () => {
  assert.deepEqual(checkSendTime(NOW - 5000, NOW), { sentAt: NOW - 5000 });
  assert.deepEqual(checkSendTime(NOW + MAX_CLOCK_AHEAD_MS, NOW), {
    sentAt: NOW + MAX_CLOCK_AHEAD_MS,
  });
  assert.deepEqual(checkSendTime(NOW - MAX_CLOCK_BEHIND_MS, NOW), {
    sentAt: NOW - MAX_CLOCK_BEHIND_MS,
  });
  const ahead = checkSendTime(NOW + MAX_CLOCK_AHEAD_MS + 1, NOW);
  assert.equal(ahead.sentAt, NOW);
  assert.match(ahead.note!, /2023-11-15T22:13:20\.001Z, over 24 h ahead/);
  const behind = checkSendTime(0, NOW);
  assert.equal(behind.sentAt, NOW);
  assert.match(behind.note!, /1970-01-01T00:00:00\.000Z, over a year ago/);
  assert.match(checkSendTime(Number.MAX_SAFE_INTEGER, NOW).note!, /a time out of range/);
});
