import assert from "node:assert/strict";
import { RetrySchedule } from "../../../src/peer/messaging/retry_schedule.ts";

Deno.test("retry schedule: attempts count up per recipient; reaching it clears them; closed, none", () => {
  const retries = new RetrySchedule();
  const never = () => assert.fail("no retry runs in this test");
  retries.later("bob", 0, never);
  retries.later("bob", 0, never); // replaces the pending one
  retries.later("carol", 0, never);
  assert.equal(retries.attempts("bob"), 2);
  assert.equal(retries.attempts("carol"), 1);
  retries.clear("bob");
  assert.equal(retries.attempts("bob"), 0);
  retries.close();
  assert.equal(retries.attempts("carol"), 0);
  retries.later("bob", 0, never);
  assert.equal(retries.attempts("bob"), 0, "nothing is scheduled once closed");
});
