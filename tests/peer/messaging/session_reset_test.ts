import assert from "node:assert/strict";
import {
  decideReset,
  ResetWindow,
  SESSION_RESET_WINDOW_MS,
} from "../../../src/peer/messaging/session_reset.ts";

Deno.test("session reset: the first reset drops the session; refusals on the new one fail at last", () => {
  assert.equal(decideReset({}), "reset");
  assert.equal(decideReset({ envelopeAt: 5 }), "reset");
  // a reset at 100: an envelope from before it is encrypted again, one from after it fails
  assert.equal(decideReset({ lastReset: 100, envelopeAt: 99 }), "resend");
  // refused on the new session: once more (it may be a late answer to the old envelope), then fail
  assert.equal(decideReset({ lastReset: 100, envelopeAt: 100 }), "resend");
  assert.equal(decideReset({ lastReset: 100, envelopeAt: 150, retried: true }), "fail");
  // no envelope: it waits to be encrypted on the new session already
  assert.equal(decideReset({ lastReset: 100 }), "ignore");
});

Deno.test("session reset: the window remembers a reset for 10 minutes, bounded", () => {
  const window = new ResetWindow();
  assert.equal(window.recent("bob", 0), undefined);
  window.note("bob", 1000);
  assert.equal(window.recent("bob", 1000 + SESSION_RESET_WINDOW_MS - 1), 1000);
  assert.equal(window.recent("bob", 1000 + SESSION_RESET_WINDOW_MS), undefined);
  assert.equal(window.recent("bob", 1000), undefined, "forgotten once expired");
  for (let i = 0; i < 1001; i++) window.note(`user${i}`, 5000);
  assert.equal(window.recent("user0", 5000), undefined, "the oldest is dropped beyond 1000");
  assert.equal(window.recent("user1000", 5000), 5000);
});
