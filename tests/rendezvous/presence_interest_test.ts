/** The interest index: who follows whom, bounded per watcher, forgotten with the watcher. */
import assert from "node:assert/strict";
import { PresenceInterest } from "../../src/rendezvous/presence_interest.ts";

Deno.test("presence interest: follow, watchersOf, following; duplicates are one", () => {
  const index = new PresenceInterest<string>();
  assert.deepEqual(index.follow("alice", ["bob", "carol", "bob"]), ["bob", "carol"]);
  assert.deepEqual(index.follow("alice", ["carol", "dave"]), ["dave"], "only the new ones");
  index.follow("erin", ["bob"]);
  assert.deepEqual([...index.watchersOf("bob")].sort(), ["alice", "erin"]);
  assert.deepEqual([...index.watchersOf("carol")], ["alice"]);
  assert.deepEqual([...index.watchersOf("mallory")], [], "nobody follows mallory");
  assert.deepEqual([...index.following("alice")].sort(), ["bob", "carol", "dave"]);
  assert.equal(index.watchers, 2);
});

Deno.test("presence interest: unfollow and forget leave no trace", () => {
  const index = new PresenceInterest<string>();
  index.follow("alice", ["bob", "carol"]);
  index.follow("erin", ["bob"]);
  index.unfollow("alice", ["bob", "nobody"]);
  assert.deepEqual([...index.watchersOf("bob")], ["erin"]);
  index.unfollow("nobody", ["bob"]); // an unknown watcher: nothing happens
  index.forget("alice");
  assert.deepEqual([...index.watchersOf("carol")], []);
  assert.deepEqual([...index.following("alice")], []);
  index.forget("erin");
  assert.equal(index.watchers, 0);
  index.forget("erin"); // twice: nothing happens
});

Deno.test("presence interest: a watcher may follow at most its bound; over it nothing is added", () => {
  const index = new PresenceInterest<string>(3);
  index.follow("alice", ["a1", "a2"]);
  assert.throws(
    () => index.follow("alice", ["a3", "a4"]),
    (err: unknown) =>
      err instanceof RangeError && err.message === "Cannot follow 4 users: at most 3",
  );
  assert.deepEqual([...index.following("alice")].sort(), ["a1", "a2"], "all or nothing");
  assert.deepEqual(index.follow("alice", ["a1", "a3"]), ["a3"], "the ones followed do not count");
  assert.deepEqual([...index.watchersOf("a4")], []);
});

Deno.test("presence interest: watchers are objects too (a federated node's subscription)", () => {
  const index = new PresenceInterest<{ deliver(name: string): void }>();
  const seen: string[] = [];
  const remote = { deliver: (name: string) => void seen.push(name) };
  index.follow(remote, ["bob"]);
  for (const watcher of index.watchersOf("bob")) watcher.deliver("bob");
  assert.deepEqual(seen, ["bob"]);
});
