import assert from "node:assert/strict";
import {
  AccountThrottle,
  ADDRESS_FREE_FAILURES,
  addressBlock,
  isAttempt,
  type LoginAttempt,
  PAIR_FREE_FAILURES,
  REGISTRATION_FREE_PROBES,
  type Throttled,
  USER_FREE_FAILURES,
} from "../../src/rendezvous/account_throttle.ts";
import { BASE_DELAY_MS, FORGET_AFTER_MS, MAX_DELAY_MS } from "../../src/rendezvous/throttle.ts";

const T0 = 1_700_000_000_000;
const ATTACKER = "192.0.2.66";
const HOME = "198.51.100.7";

function go(result: LoginAttempt | Throttled): LoginAttempt {
  assert.ok(isAttempt(result), `refused until ${"retryAt" in result ? result.retryAt : ""}`);
  return result;
}

function refused(result: LoginAttempt | Throttled): number {
  assert.ok(!isAttempt(result), "expected a refusal");
  return result.retryAt;
}

/** One whole login attempt from `ip`, ending with `outcome`. */
function attempt(
  throttle: AccountThrottle,
  ip: string,
  outcome: "failed" | "abandoned" | "succeeded",
  now = T0,
  username = "alice",
): void {
  throttle.endLogin(go(throttle.beginLogin(username, ip, now)), outcome, now);
}

Deno.test("AccountThrottle: five stalled logins from one address do not lock alice out elsewhere", () => {
  const throttle = new AccountThrottle();
  for (let i = 0; i < PAIR_FREE_FAILURES; i++) attempt(throttle, ATTACKER, "abandoned");
  // The attacker's address waits ...
  refused(throttle.beginLogin("alice", ATTACKER, T0));
  // ... alice at home does not.
  attempt(throttle, HOME, "succeeded");
});

Deno.test("AccountThrottle: logins stalled in flight from one address do not hold back another", () => {
  const throttle = new AccountThrottle();
  const stalled = Array.from(
    { length: PAIR_FREE_FAILURES },
    () => go(throttle.beginLogin("alice", ATTACKER, T0)),
  );
  refused(throttle.beginLogin("alice", ATTACKER, T0));
  attempt(throttle, HOME, "succeeded");
  for (const s of stalled) throttle.endLogin(s, "abandoned", T0);
});

Deno.test("AccountThrottle: wrong guesses from one address are throttled, with a doubling wait", () => {
  const throttle = new AccountThrottle();
  for (let i = 0; i < PAIR_FREE_FAILURES; i++) attempt(throttle, ATTACKER, "failed");
  assert.equal(refused(throttle.beginLogin("alice", ATTACKER, T0)), T0 + 1000);
  attempt(throttle, ATTACKER, "failed", T0 + 1000);
  assert.equal(refused(throttle.beginLogin("alice", ATTACKER, T0 + 1000)), T0 + 3000);
  // Another user from the same address is not held back by alice's pair.
  attempt(throttle, ATTACKER, "succeeded", T0 + 1000, "bob");
});

Deno.test("AccountThrottle: one address cannot use up alice's global allowance", () => {
  const throttle = new AccountThrottle();
  let now = T0;
  // Thirty wrong guesses from one address, each as soon as it may: only the first
  // PAIR_FREE_FAILURES count for alice across addresses.
  for (let i = 0; i < 30; i++) {
    const result = throttle.beginLogin("alice", ATTACKER, now);
    if (!isAttempt(result)) {
      now = Math.min(result.retryAt, now + MAX_DELAY_MS);
      i--;
      continue;
    }
    throttle.endLogin(result, "failed", now);
  }
  assert.ok(PAIR_FREE_FAILURES < USER_FREE_FAILURES);
  // alice mistyped once at home: she is not held back by the attacker's count.
  attempt(throttle, HOME, "failed", now);
  attempt(throttle, HOME, "succeeded", now);
});

Deno.test("AccountThrottle: many addresses failing for alice hold back those that failed, never a fresh one", () => {
  const throttle = new AccountThrottle();
  const bots = Array.from({ length: USER_FREE_FAILURES }, (_, i) => `203.0.113.${i + 1}`);
  for (const bot of bots) attempt(throttle, bot, "failed");
  // Each bot failed once, well under its own pair allowance, but alice's count is used up.
  refused(throttle.beginLogin("alice", bots[0]!, T0));
  // alice from an address that has not failed gets through.
  attempt(throttle, HOME, "succeeded");
  // Stalled logins never count for alice's global allowance.
  const other = new AccountThrottle();
  for (const bot of bots) attempt(other, bot, "abandoned");
  attempt(other, bots[0]!, "failed");
});

Deno.test("AccountThrottle: an IPv6 attacker counts by its /64", () => {
  const throttle = new AccountThrottle();
  for (let i = 1; i <= PAIR_FREE_FAILURES; i++) attempt(throttle, `2001:db8::${i}`, "failed");
  refused(throttle.beginLogin("alice", "2001:db8::ffff:1234", T0));
  refused(throttle.beginLogin("alice", "2001:db8:0:0:1:2:3:4", T0));
  attempt(throttle, "2001:db8:0:1::1", "succeeded");
});

Deno.test("AccountThrottle: registrations that learn whether a name exists are throttled per address", () => {
  const throttle = new AccountThrottle();
  for (let i = 0; i < REGISTRATION_FREE_PROBES; i++) {
    assert.equal(throttle.beginRegistration(ATTACKER, T0), undefined, `probe ${i + 1}`);
    throttle.endRegistration(ATTACKER, "probed", T0);
  }
  assert.equal(throttle.beginRegistration(ATTACKER, T0)?.retryAt, T0 + 1000);
  assert.equal(throttle.beginRegistration(HOME, T0), undefined);
  throttle.endRegistration(HOME, "void", T0);
  // Completed registrations do not count (a bulk of real sign-ups from one address).
  for (let i = 0; i < 3 * REGISTRATION_FREE_PROBES; i++) {
    assert.equal(throttle.beginRegistration(HOME, T0), undefined);
    throttle.endRegistration(HOME, "registered", T0);
  }
  // Probes started in parallel count while in flight.
  const fresh = new AccountThrottle();
  for (let i = 0; i < REGISTRATION_FREE_PROBES; i++) {
    assert.equal(fresh.beginRegistration(ATTACKER, T0), undefined);
  }
  assert.ok(fresh.beginRegistration(ATTACKER, T0) !== undefined);
});

Deno.test("AccountThrottle forgets an address FORGET_AFTER_MS after its last failure", () => {
  const throttle = new AccountThrottle();
  for (let i = 0; i < PAIR_FREE_FAILURES; i++) attempt(throttle, ATTACKER, "failed");
  refused(throttle.beginLogin("alice", ATTACKER, T0 + 1));
  attempt(throttle, ATTACKER, "succeeded", T0 + FORGET_AFTER_MS + 1);
});

Deno.test("AccountThrottle.blocked lists each blocked key for the operator; clear frees it", () => {
  const throttle = new AccountThrottle();
  assert.deepEqual(throttle.blocked(T0, 10), []);
  for (let i = 0; i < PAIR_FREE_FAILURES; i++) attempt(throttle, ATTACKER, "failed");
  for (let i = 0; i < REGISTRATION_FREE_PROBES; i++) {
    assert.equal(throttle.beginRegistration(HOME, T0), undefined);
    throttle.endRegistration(HOME, "probed", T0);
  }
  assert.deepEqual(throttle.blocked(T0, 10), [
    { key: `pair:alice@${ATTACKER}`, failures: PAIR_FREE_FAILURES, until: T0 + BASE_DELAY_MS },
    { key: `register:${HOME}`, failures: REGISTRATION_FREE_PROBES, until: T0 + BASE_DELAY_MS },
  ]);
  assert.equal(throttle.blocked(T0, 1).length, 1, "at most `limit`");
  assert.deepEqual(throttle.blocked(T0 + BASE_DELAY_MS, 10), [], "over once the wait is");

  assert.equal(throttle.clear(`pair:alice@${ATTACKER}`), true);
  assert.equal(throttle.clear(`pair:alice@${ATTACKER}`), false, "already cleared");
  attempt(throttle, ATTACKER, "succeeded");
  assert.equal(throttle.clear(`register:${HOME}`), true);
  assert.equal(throttle.beginRegistration(HOME, T0), undefined);
  for (const bad of ["alice", "nope:alice", `user:bob`, ":x"]) {
    assert.equal(throttle.clear(bad), false, bad);
  }
});

Deno.test("AccountThrottle.blocked names a user blocked across addresses, and an address", () => {
  const throttle = new AccountThrottle();
  // USER_FREE_FAILURES failures from different addresses block the user (for those addresses).
  for (let i = 0; i < USER_FREE_FAILURES; i++) attempt(throttle, `203.0.113.${i}`, "failed");
  const keys = throttle.blocked(T0, 100).map((b) => b.key);
  assert.deepEqual(keys, ["user:alice"]);
  assert.equal(throttle.clear("user:alice"), true);
  attempt(throttle, "203.0.113.0", "succeeded");
  // Many users guessed from one address block the address.
  const guesser = new AccountThrottle();
  for (let i = 0; i < ADDRESS_FREE_FAILURES; i++) {
    attempt(guesser, ATTACKER, "failed", T0, `user${i}`);
  }
  assert.ok(guesser.blocked(T0, 100).some((b) => b.key === `addr:${ATTACKER}`));
  assert.equal(guesser.clear(`addr:${ATTACKER}`), true);
  attempt(guesser, ATTACKER, "succeeded", T0, "fresh");
});

Deno.test("addressBlock: IPv4 itself, IPv6 by /64, IPv4-mapped IPv6 as IPv4", () => {
  assert.equal(addressBlock("192.0.2.7"), "192.0.2.7");
  assert.equal(addressBlock("2001:db8::1"), addressBlock("2001:db8:0:0:ffff:1:2:3"));
  assert.notEqual(addressBlock("2001:db8::1"), addressBlock("2001:db8:0:1::1"));
  assert.equal(addressBlock("2001:db8::1"), "2001:0db8:0000:0000:0000:0000:0000:0000/64");
  assert.equal(addressBlock("::ffff:192.0.2.7"), "192.0.2.7");
  assert.equal(addressBlock("fe80::1%eth0"), addressBlock("fe80::2"));
  assert.equal(addressBlock("unknown"), "unknown");
});
