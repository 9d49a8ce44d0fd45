import assert from "node:assert/strict";
import {
  formatQualifiedName,
  normalizeServerName,
  parseQualifiedName,
} from "../../src/protocol/qualified_name.ts";

Deno.test("a bare name is a local user", () => {
  assert.deepEqual(parseQualifiedName("Bob", "home"), { username: "bob" });
});

Deno.test("user@server names a user homed at that server, both parts case-folded", () => {
  assert.deepEqual(parseQualifiedName("Bob@WORK", "home"), { username: "bob", server: "work" });
  assert.deepEqual(parseQualifiedName("bob@chat.example-1_x", "home"), {
    username: "bob",
    server: "chat.example-1_x",
  });
});

Deno.test("user@home typed on home is the local user, whatever the case of either", () => {
  assert.deepEqual(parseQualifiedName("bob@home", "home"), { username: "bob" });
  assert.deepEqual(parseQualifiedName("bob@HOME", "Home"), { username: "bob" });
});

Deno.test("a bad username, server name, empty part or second @ is a RangeError", () => {
  for (
    const input of ["bo@work", "bob@", "@work", "bob@wo rk", "bob@a@b", "bob@" + "x".repeat(65)]
  ) {
    assert.throws(() => parseQualifiedName(input, "home"), RangeError, input);
  }
  assert.throws(() => parseQualifiedName("bob@wo\u0000rk", "home"), (err: unknown) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /"wo\?rk"/);
    return true;
  });
});

Deno.test("normalizeServerName folds case and takes 1 to 64 of [a-z0-9._-]", () => {
  assert.equal(normalizeServerName("Work"), "work");
  assert.equal(normalizeServerName("w"), "w");
  assert.equal(normalizeServerName("x".repeat(64)), "x".repeat(64));
  assert.throws(() => normalizeServerName(""), /1 to 64/);
  assert.throws(() => normalizeServerName("x".repeat(65)), /1 to 64/);
  assert.throws(() => normalizeServerName("a/b"), RangeError);
});

Deno.test("formatQualifiedName shows local users bare and remote ones as user@server", () => {
  assert.equal(formatQualifiedName({ username: "bob" }, "home"), "bob");
  assert.equal(formatQualifiedName({ username: "bob", server: "home" }, "Home"), "bob");
  assert.equal(formatQualifiedName({ username: "bob", server: "work" }, "home"), "bob@work");
});

Deno.test("parse and format round-trip", () => {
  for (const input of ["bob", "bob@work", "a_b-c@x.y"]) {
    assert.equal(formatQualifiedName(parseQualifiedName(input, "home"), "home"), input);
  }
});
