import assert from "node:assert/strict";
import { ResetTracker } from "../../../src/peer/messaging/reset_tracker.ts";
import { SESSION_RESET_WINDOW_MS } from "../../../src/peer/messaging/session_reset.ts";

const NOW = 1_000_000;

Deno.test("reset tracker: the first reset resets; an old envelope is resent, then a new one fails", () => {
  const resets = new ResetTracker();
  resets.encrypted("aa", NOW - 10);
  assert.equal(resets.decide("aa", "bob", true, NOW), "reset");
  // Encrypted before the reset (on the dropped session): sent again.
  assert.equal(resets.decide("aa", "bob", true, NOW + 1), "resend");
  resets.encrypted("aa", NOW + 2);
  assert.equal(resets.decide("aa", "bob", true, NOW + 3), "resend", "one more try");
  assert.equal(resets.decide("aa", "bob", true, NOW + 4), "fail");
  // Not encrypted yet on the new session: nothing to do.
  assert.equal(resets.decide("bb", "bob", false, NOW + 5), "ignore");
  // Another contact, or the same one after the window, resets again.
  assert.equal(resets.decide("cc", "carol", true, NOW + 6), "reset");
  assert.equal(resets.decide("dd", "bob", true, NOW + SESSION_RESET_WINDOW_MS + 1), "reset");
});

Deno.test("reset tracker: a settled message is forgotten", () => {
  const resets = new ResetTracker();
  assert.equal(resets.decide("aa", "bob", true, NOW), "reset");
  resets.encrypted("aa", NOW + 1);
  assert.equal(resets.decide("aa", "bob", true, NOW + 2), "resend");
  resets.settled("aa");
  // Known no more: taken as made before the reset, so it is resent (not failed).
  assert.equal(resets.decide("aa", "bob", true, NOW + 3), "resend");
});
