/** The CLI's error output: the rendezvous's retry time in local time. */
import assert from "node:assert/strict";
import { localRetryTime } from "../../src/cli/io.ts";

Deno.test("io: a throttled login's retry time is shown in local time", () => {
  const now = new Date(2025, 5, 3, 10, 0, 0).getTime();
  const message =
    "too many failed logins for alice; retry after 2025-06-03T08:01:30.000Z (in 90 s)";
  assert.equal(
    localRetryTime(message, 90_000, now),
    "too many failed logins for alice; retry after 10:01:30 (local time) (in 90 s)",
  );
  assert.equal(localRetryTime(message, undefined, now), message);
});
