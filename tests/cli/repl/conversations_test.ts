/** Conversations: window numbers, unread counts, mentions and /mute. */
import assert from "node:assert/strict";
import { Conversations, mentions } from "../../../src/cli/repl/conversations.ts";

Deno.test("conversations: unread counts while not current, cleared on select", () => {
  const c = new Conversations("alice");
  assert.deepEqual(c.arrived("bob", "bob", "hi"), { notify: true, mention: false });
  c.select("bob");
  assert.deepEqual(c.arrived("bob", "bob", "again"), { notify: false, mention: false });
  c.arrived("#dev", "carol", "x");
  assert.deepEqual(c.view().map((v) => [v.number, v.name, v.unread, v.current]), [
    [1, "bob", 0, true],
    [2, "#dev", 1, false],
  ]);
  assert.equal(c.byNumber(2), "#dev");
  c.select("#dev");
  assert.equal(c.view()[1]!.unread, 0);
  c.remove("#dev");
  assert.equal(c.current, undefined);
  assert.deepEqual(c.names(), ["bob"]);
});

Deno.test("conversations: a mention notifies even in the current one; /mute silences", () => {
  const c = new Conversations("alice");
  c.select("#dev");
  assert.deepEqual(c.arrived("#dev", "bob", "ping @alice"), { notify: true, mention: true });
  assert.equal(c.toggleMute("#dev"), true);
  assert.deepEqual(c.arrived("#dev", "bob", "alice?"), { notify: false, mention: true });
  assert.equal(c.toggleMute("#dev"), false);
  assert.equal(c.arrived("#dev", "alice", "alice says").mention, false, "not your own lines");
});

Deno.test("conversations: unread while away, counted without a notification", () => {
  const c = new Conversations("alice");
  c.select("#dev");
  c.unreadWhileAway("bob", 2);
  c.unreadWhileAway("#dev", 1);
  c.unreadWhileAway("carol", 0);
  assert.deepEqual(c.view().map((v) => [v.number, v.name, v.unread]), [
    [1, "#dev", 0],
    [2, "bob", 2],
    [3, "carol", 0],
  ]);
  c.arrived("bob", "bob", "more");
  assert.equal(c.view()[1]!.unread, 3);
});

Deno.test("mentions: the name as a word, with or without @", () => {
  assert.ok(mentions("hey Alice!", "alice"));
  assert.ok(mentions("@alice: x", "alice"));
  assert.ok(!mentions("malice", "alice"));
  assert.ok(!mentions("alice_b", "alice"));
  assert.ok(mentions("a.b here", "a.b"));
  assert.ok(!mentions("axb", "a.b"), "the name is not a pattern");
});
