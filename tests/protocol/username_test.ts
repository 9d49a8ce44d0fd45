import assert from "node:assert/strict";
import { normalizeUsername } from "../../src/protocol/username.ts";

Deno.test("normalizeUsername folds case so Alice and alice are one account", () => {
  assert.equal(normalizeUsername("Alice"), "alice");
  assert.equal(normalizeUsername("ALICE"), "alice");
  assert.equal(normalizeUsername("alice"), "alice");
  assert.equal(normalizeUsername("Bob_The-2nd"), "bob_the-2nd");
});

Deno.test("normalizeUsername accepts digits, underscore and hyphen", () => {
  assert.equal(normalizeUsername("a_b-c"), "a_b-c");
  assert.equal(normalizeUsername("123"), "123");
  assert.equal(normalizeUsername("---"), "---");
  assert.equal(normalizeUsername("___"), "___");
});

Deno.test("normalizeUsername accepts 3 and 32 characters and refuses 2 and 33", () => {
  assert.equal(normalizeUsername("abc"), "abc");
  assert.equal(normalizeUsername("a".repeat(32)), "a".repeat(32));
  assert.throws(() => normalizeUsername("ab"), (err: unknown) => {
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /3 to 32 characters/);
    assert.match(err.message, /"ab"/);
    return true;
  });
  assert.throws(() => normalizeUsername("a".repeat(33)), /3 to 32 characters/);
  assert.throws(() => normalizeUsername(""), RangeError);
});

Deno.test("normalizeUsername refuses characters outside [a-z0-9_-]", () => {
  for (
    const bad of ["al ice", "alice!", "al.ice", "ali@ce", "élise", "bob/..", "a\u00a0bc", "abc\n"]
  ) {
    assert.throws(
      () => normalizeUsername(bad),
      (err: unknown) => {
        assert.ok(err instanceof RangeError, bad);
        assert.match(err.message, /use only letters a-z, digits/);
        return true;
      },
    );
  }
});

Deno.test("normalizeUsername yields only ASCII names even from non-ASCII case folds", () => {
  // U+212A KELVIN SIGN lower-cases to ASCII "k": it names the same account as "kaa".
  assert.equal(normalizeUsername("\u212aaa"), "kaa");
  // U+0130 lower-cases to "i" plus a combining dot, which is refused.
  assert.throws(() => normalizeUsername("\u0130bc"), RangeError);
  assert.throws(() => normalizeUsername("\u00c5sa"), RangeError);
});

Deno.test("normalizeUsername replaces control characters in its message", () => {
  assert.throws(
    () => normalizeUsername("ab\u0000c\u001b[31m\u007f"),
    (err: unknown) => {
      assert.ok(err instanceof RangeError);
      const control = [...err.message].filter((c) => c.charCodeAt(0) < 0x20 || c === "\u007f");
      assert.deepEqual(control, [], "message has no control characters");
      assert.match(err.message, /"ab\?c\?\[31m\?"/);
      return true;
    },
  );
  assert.throws(
    () => normalizeUsername("\n\r\t"),
    (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /"\?\?\?"/);
      return true;
    },
  );
});

Deno.test("normalizeUsername truncates a long name in its message", () => {
  assert.throws(
    () => normalizeUsername("x".repeat(1000)),
    (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.ok(err.message.includes(`"${"x".repeat(40)}"`));
      assert.ok(!err.message.includes("x".repeat(41)));
      return true;
    },
  );
});

Deno.test("normalizeUsername keeps a canonical name as it is and changes or refuses any other", () => {
  assert.equal(normalizeUsername("alice"), "alice");
  assert.equal(normalizeUsername("a-b_1"), "a-b_1");
  assert.notEqual(normalizeUsername("Alice"), "Alice");
  for (const name of ["ab", "a".repeat(33), "al ice", ""]) {
    assert.throws(() => normalizeUsername(name), RangeError, name);
  }
});
