import assert from "node:assert/strict";
import { AdminAuth, secretEqual, SESSION_TTL_MS } from "../../../src/rendezvous/http/auth.ts";
import { FREE_FAILURES } from "../../../src/rendezvous/throttle.ts";

const TOKEN = "a".repeat(64);

Deno.test("admin auth: the right token gives a session with its own CSRF token", () => {
  const auth = new AdminAuth(TOKEN);
  const outcome = auth.login(TOKEN, "127.0.0.1", 1000);
  assert.ok(outcome.ok);
  const { session } = outcome;
  assert.match(session.id, /^[0-9a-f]{64}$/);
  assert.match(session.csrf, /^[0-9a-f]{64}$/);
  assert.notEqual(session.id, session.csrf);
  assert.notEqual(session.id, TOKEN);
  assert.deepEqual(auth.session(session.id, 2000), session);
  assert.equal(auth.csrfOk(session, session.csrf), true);
});

Deno.test("admin auth: a wrong token, a wrong cookie and a wrong CSRF token are refused", () => {
  const auth = new AdminAuth(TOKEN);
  const wrong = auth.login("b".repeat(64), "127.0.0.1", 1000);
  assert.deepEqual(wrong, { ok: false, throttled: false, message: "Wrong admin token" });
  assert.equal(auth.login("", "127.0.0.1", 1000).ok, false);
  assert.equal(auth.login(TOKEN.slice(1), "127.0.0.1", 1000).ok, false);
  const outcome = auth.login(TOKEN, "127.0.0.1", 1000);
  assert.ok(outcome.ok);
  assert.equal(auth.session(undefined, 1000), undefined);
  assert.equal(auth.session("c".repeat(64), 1000), undefined);
  assert.equal(auth.session(outcome.session.csrf, 1000), undefined, "the CSRF token is no cookie");
  assert.equal(auth.csrfOk(outcome.session, undefined), false);
  assert.equal(auth.csrfOk(outcome.session, ""), false);
  assert.equal(auth.csrfOk(outcome.session, outcome.session.id), false);
});

Deno.test("admin auth: guessing tokens from one address is throttled; others are not", () => {
  const auth = new AdminAuth(TOKEN);
  for (let i = 0; i < FREE_FAILURES; i++) {
    assert.equal(auth.login(`guess${i}`, "192.0.2.7", 1000).ok, false);
  }
  const blocked = auth.login(TOKEN, "192.0.2.7", 1001);
  assert.ok(!blocked.ok);
  assert.equal(blocked.throttled, true);
  assert.match(blocked.message, /Too many wrong tokens from 192\.0\.2\.7; retry in \d+ s/);
  assert.equal(auth.login(TOKEN, "192.0.2.8", 1001).ok, true);
  assert.equal(auth.login(TOKEN, "192.0.2.7", 1000 + 60_000).ok, true, "free again after the wait");
});

Deno.test("admin auth: sessions expire and end at logout", () => {
  const auth = new AdminAuth(TOKEN);
  const first = auth.login(TOKEN, "127.0.0.1", 0);
  const second = auth.login(TOKEN, "127.0.0.1", 0);
  assert.ok(first.ok && second.ok);
  assert.equal(auth.session(first.session.id, SESSION_TTL_MS), undefined);
  auth.logout(second.session);
  assert.equal(auth.session(second.session.id, 1), undefined);
});

Deno.test("secretEqual: equal only for the same string, whatever the lengths", () => {
  assert.equal(secretEqual("abc", "abc"), true);
  assert.equal(secretEqual("abc", "abd"), false);
  assert.equal(secretEqual("abc", "abcd"), false);
  assert.equal(secretEqual("", ""), true);
});
