import assert from "node:assert/strict";
import {
  BASE_DELAY_MS,
  FORGET_AFTER_MS,
  FREE_FAILURES,
  LoginThrottle,
  MAX_DELAY_MS,
  MAX_TRACKED_KEYS,
} from "../../src/rendezvous/throttle.ts";

const T0 = 1_700_000_000_000;

Deno.test("LoginThrottle: the FREE_FAILURES-th failure starts a wait of 1 s", () => {
  assert.equal(FREE_FAILURES, 5);
  const throttle = new LoginThrottle();
  const keys = ["user:alice"];
  assert.equal(throttle.blockedUntil(keys, T0), undefined);
  for (let i = 0; i < FREE_FAILURES - 1; i++) {
    throttle.recordFailure(keys, T0);
    assert.equal(throttle.blockedUntil(keys, T0), undefined, `after failure ${i + 1}`);
  }
  throttle.recordFailure(keys, T0);
  assert.equal(throttle.blockedUntil(keys, T0), T0 + BASE_DELAY_MS);
});

Deno.test("LoginThrottle doubles the wait: 1 s, 2 s, 4 s, 8 s …", () => {
  assert.equal(BASE_DELAY_MS, 1000);
  const throttle = new LoginThrottle();
  const keys = ["user:alice"];
  let now = T0;
  for (let i = 0; i < FREE_FAILURES - 1; i++) throttle.recordFailure(keys, now);
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    throttle.recordFailure(keys, now);
    const until = throttle.blockedUntil(keys, now);
    assert.ok(until !== undefined);
    waits.push(until - now);
    now = until; // retry exactly when allowed
    assert.equal(throttle.blockedUntil(keys, now), undefined, "no longer blocked at the deadline");
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000]);
});

Deno.test("LoginThrottle caps the wait at MAX_DELAY_MS", () => {
  const throttle = new LoginThrottle();
  const keys = ["user:alice"];
  let now = T0;
  let last = 0;
  for (let i = 0; i < FREE_FAILURES + 40; i++) {
    throttle.recordFailure(keys, now);
    const until = throttle.blockedUntil(keys, now);
    if (until !== undefined) {
      last = until - now;
      assert.ok(last <= MAX_DELAY_MS);
      now = until;
    }
  }
  assert.equal(last, MAX_DELAY_MS);
});

Deno.test("LoginThrottle blocks until the latest deadline of the given keys", () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < FREE_FAILURES; i++) throttle.recordFailure(["user:alice"], T0);
  for (let i = 0; i < FREE_FAILURES + 2; i++) throttle.recordFailure(["addr:192.0.2.7"], T0);
  assert.equal(throttle.blockedUntil(["user:alice"], T0), T0 + 1000);
  assert.equal(throttle.blockedUntil(["addr:192.0.2.7"], T0), T0 + 4000);
  assert.equal(throttle.blockedUntil(["user:alice", "addr:192.0.2.7"], T0), T0 + 4000);
  assert.equal(throttle.blockedUntil(["addr:192.0.2.7", "user:alice"], T0 + 2000), T0 + 4000);
});

Deno.test("LoginThrottle keeps keys independent", () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < FREE_FAILURES + 1; i++) throttle.recordFailure(["user:alice"], T0);
  assert.ok(throttle.blockedUntil(["user:alice"], T0) !== undefined);
  assert.equal(throttle.blockedUntil(["user:bob"], T0), undefined);
  assert.equal(throttle.blockedUntil(["addr:192.0.2.7"], T0), undefined);
  // bob's failures start from zero
  for (let i = 0; i < FREE_FAILURES - 1; i++) throttle.recordFailure(["user:bob"], T0);
  assert.equal(throttle.blockedUntil(["user:bob"], T0), undefined);
});

Deno.test("LoginThrottle counts one failure under every key passed", () => {
  const throttle = new LoginThrottle();
  const keys = ["user:alice", "addr:192.0.2.7"];
  for (let i = 0; i < FREE_FAILURES; i++) throttle.recordFailure(keys, T0);
  assert.equal(throttle.size, 2);
  assert.equal(throttle.blockedUntil(["user:alice"], T0), T0 + 1000);
  assert.equal(throttle.blockedUntil(["addr:192.0.2.7"], T0), T0 + 1000);
});

Deno.test("LoginThrottle success resets the user key but not another key", () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < FREE_FAILURES; i++) {
    throttle.recordFailure(["user:alice", "addr:192.0.2.7"], T0);
  }
  throttle.recordSuccess(["user:alice"]);
  assert.equal(throttle.blockedUntil(["user:alice"], T0), undefined);
  assert.equal(throttle.blockedUntil(["addr:192.0.2.7"], T0), T0 + 1000);
  assert.equal(throttle.size, 1);
  // alice starts again with her free failures
  for (let i = 0; i < FREE_FAILURES - 1; i++) throttle.recordFailure(["user:alice"], T0);
  assert.equal(throttle.blockedUntil(["user:alice"], T0), undefined);
  throttle.recordFailure(["user:alice"], T0);
  assert.equal(throttle.blockedUntil(["user:alice"], T0), T0 + 1000);
});

Deno.test("LoginThrottle success on an unknown key is a no-op", () => {
  const throttle = new LoginThrottle();
  throttle.recordFailure(["user:alice"], T0);
  throttle.recordSuccess(["user:nobody"]);
  assert.equal(throttle.size, 1);
});

Deno.test("LoginThrottle forgets a key FORGET_AFTER_MS after its last failure", () => {
  const throttle = new LoginThrottle();
  const keys = ["user:alice"];
  for (let i = 0; i < FREE_FAILURES + 12; i++) throttle.recordFailure(keys, T0);
  // 2^12 s is over the cap: blocked for MAX_DELAY_MS after T0
  assert.equal(throttle.blockedUntil(keys, T0), T0 + MAX_DELAY_MS);
  // at exactly FORGET_AFTER_MS the key is still remembered
  assert.equal(throttle.blockedUntil(keys, T0 + FORGET_AFTER_MS), undefined);
  assert.equal(throttle.size, 1);
  // one millisecond later it is dropped
  assert.equal(throttle.blockedUntil(keys, T0 + FORGET_AFTER_MS + 1), undefined);
  assert.equal(throttle.size, 0);
  // and the count starts from zero again
  const later = T0 + FORGET_AFTER_MS + 2;
  for (let i = 0; i < FREE_FAILURES - 1; i++) throttle.recordFailure(keys, later);
  assert.equal(throttle.blockedUntil(keys, later), undefined);
  throttle.recordFailure(keys, later);
  assert.equal(throttle.blockedUntil(keys, later), later + 1000);
});

Deno.test("LoginThrottle keeps counting when failures keep coming within FORGET_AFTER_MS", () => {
  const throttle = new LoginThrottle();
  const keys = ["user:alice"];
  let now = T0;
  for (let i = 0; i < FREE_FAILURES - 1; i++) {
    throttle.recordFailure(keys, now);
    now += FORGET_AFTER_MS - 1;
  }
  throttle.recordFailure(keys, now);
  assert.equal(throttle.blockedUntil(keys, now), now + 1000);
});

Deno.test("LoginThrottle tracks at most MAX_TRACKED_KEYS, dropping the least recently failed", () => {
  const throttle = new LoginThrottle();
  // the first key is blocked, then refreshed after others so it is not the oldest
  for (let i = 0; i < FREE_FAILURES + 1; i++) throttle.recordFailure(["addr:first"], T0);
  throttle.recordFailure(["addr:second"], T0);
  for (let i = 0; i < MAX_TRACKED_KEYS - 2; i++) throttle.recordFailure([`addr:${i}`], T0);
  assert.equal(throttle.size, MAX_TRACKED_KEYS);
  throttle.recordFailure(["addr:first"], T0 + 1); // moves to the newest end
  throttle.recordFailure(["addr:overflow"], T0 + 1);
  assert.equal(throttle.size, MAX_TRACKED_KEYS);
  // "addr:second" was the least recently failed and is gone; "addr:first" is still blocked
  assert.ok(throttle.blockedUntil(["addr:first"], T0 + 1) !== undefined);
  for (let i = 0; i < FREE_FAILURES - 1; i++) throttle.recordFailure(["addr:second"], T0 + 1);
  assert.equal(throttle.blockedUntil(["addr:second"], T0 + 1), undefined, "second was evicted");
  assert.equal(throttle.size, MAX_TRACKED_KEYS);
});

Deno.test("LoginThrottle.begin counts attempts in flight against the free failures", () => {
  const throttle = new LoginThrottle();
  const keys = ["user:alice", "addr:192.0.2.7"];
  // FREE_FAILURES attempts may start at once; the next waits for one of them to end.
  for (let i = 0; i < FREE_FAILURES; i++) {
    assert.equal(throttle.begin(keys, T0), undefined, `attempt ${i + 1}`);
  }
  assert.equal(throttle.begin(keys, T0), T0 + BASE_DELAY_MS);
  assert.equal(throttle.begin(["user:alice", "addr:198.51.100.1"], T0), T0 + BASE_DELAY_MS);
  assert.equal(throttle.begin(["user:bob", "addr:192.0.2.7"], T0), T0 + BASE_DELAY_MS);
  assert.equal(throttle.begin(["user:bob", "addr:198.51.100.1"], T0), undefined);
  throttle.finish(["user:bob", "addr:198.51.100.1"]);
  // They all fail: now the keys are blocked.
  for (let i = 0; i < FREE_FAILURES; i++) {
    throttle.recordFailure(keys, T0);
    throttle.finish(keys);
  }
  assert.equal(throttle.begin(keys, T0), T0 + BASE_DELAY_MS);
  // Once the wait is over, one attempt at a time.
  const later = T0 + BASE_DELAY_MS;
  assert.equal(throttle.begin(keys, later), undefined);
  assert.equal(throttle.begin(keys, later), later + BASE_DELAY_MS);
  throttle.recordFailure(keys, later);
  throttle.finish(keys);
  assert.equal(throttle.begin(keys, later), later + 2 * BASE_DELAY_MS);
});

Deno.test("LoginThrottle.finish frees the slot of an attempt that succeeded", () => {
  const throttle = new LoginThrottle();
  const keys = ["user:alice", "addr:192.0.2.7"];
  for (let round = 0; round < 3 * FREE_FAILURES; round++) {
    assert.equal(throttle.begin(keys, T0), undefined, `round ${round}`);
    throttle.recordSuccess(["user:alice"]);
    throttle.finish(keys);
  }
  assert.equal(throttle.size, 0);
});

Deno.test("LoginThrottle.blocked lists what is blocked now; clear frees one key", () => {
  const throttle = new LoginThrottle();
  const keys = ["user:alice", "addr:192.0.2.7"];
  for (let i = 0; i < FREE_FAILURES; i++) throttle.recordFailure(keys, T0);
  throttle.recordFailure(["user:bob"], T0);
  assert.deepEqual(throttle.blocked(T0, 10), [
    { key: "user:alice", failures: FREE_FAILURES, until: T0 + BASE_DELAY_MS },
    { key: "addr:192.0.2.7", failures: FREE_FAILURES, until: T0 + BASE_DELAY_MS },
  ]);
  assert.equal(throttle.blocked(T0, 1).length, 1);
  assert.deepEqual(throttle.blocked(T0 + BASE_DELAY_MS, 10), [], "over once the wait is");
  assert.equal(throttle.clear("addr:192.0.2.7"), true);
  assert.equal(throttle.clear("addr:192.0.2.7"), false);
  assert.equal(throttle.begin(["addr:192.0.2.7"], T0), undefined);
  assert.equal(throttle.blockedUntil(["user:alice"], T0), T0 + BASE_DELAY_MS);
});
