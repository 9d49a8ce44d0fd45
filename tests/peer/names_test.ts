import assert from "node:assert/strict";
import { homedUsername, HomeName, normalizeName } from "../../src/peer/names.ts";

Deno.test("names: typed names fold; bob@home at home is bob; alice is alice@home elsewhere", () => {
  const names = new HomeName();
  assert.throws(() => names.canonical("bob@work"), /federation is unavailable/);
  assert.equal(names.canonical("Bob"), "bob");
  names.set("Home");
  assert.equal(names.name, "home");
  assert.equal(names.canonical("Bob@WORK"), "bob@work");
  assert.equal(names.canonical("bob@home"), "bob");
  assert.equal(names.seenElsewhere("alice"), "alice@home");
  assert.equal(names.seenElsewhere("bob@work"), "bob@work");
  assert.equal(names.isRemote("bob@work"), true);
  assert.throws(() => names.canonical("a@b@c"), RangeError);
  assert.throws(() => names.canonical("bob@"), RangeError);
  assert.equal(normalizeName("BOB@Work"), "bob@work");
  assert.throws(() => normalizeName("x@work"), RangeError);
  assert.equal(homedUsername("bob@work"), "bob");
  assert.equal(homedUsername("bob"), "bob");
});
