import assert from "node:assert/strict";
import { FollowedUsers } from "../../src/peer/followed_users.ts";

Deno.test("followed users: a user is followed while any source names them, never ourselves", () => {
  const followed = new FollowedUsers("alice");
  assert.deepEqual(followed.add("contacts", ["bob", "alice", "bob"]), ["bob"]);
  assert.deepEqual(followed.set("service:rooms", ["bob", "carol", "dave"]), {
    added: ["carol", "dave"],
    removed: [],
  });
  assert.deepEqual(followed.all(), ["bob", "carol", "dave"]);
  // A room left: its members no other source names are unfollowed, bob (a contact) stays.
  assert.deepEqual(followed.set("service:rooms", ["dave"]), { added: [], removed: ["carol"] });
  assert.deepEqual(followed.set("service:rooms", []), { added: [], removed: ["dave"] });
  assert.deepEqual(followed.all(), ["bob"]);
  assert.ok(followed.has("bob") && !followed.has("carol"));
  assert.deepEqual(followed.add("contacts", ["bob"]), [], "already followed");
});

Deno.test("followed users: going over the limit is refused with the count, and changes nothing", () => {
  const followed = new FollowedUsers("alice", 3);
  followed.add("asked", ["a1", "a2"]);
  assert.throws(
    () => followed.set("service:rooms", ["r1", "r2"]),
    new RangeError(
      "Cannot follow 4 users' presence: at most 3 (contacts and room members)",
    ),
  );
  assert.throws(() => followed.add("contacts", ["a1", "c1", "c2"]), /Cannot follow 4 users/);
  assert.deepEqual(followed.all(), ["a1", "a2"]);
  // Dropping some makes room in the same change.
  assert.deepEqual(followed.set("asked", ["a1", "r1"]), { added: ["r1"], removed: ["a2"] });
  assert.deepEqual(followed.set("service:rooms", ["r1", "r2"]).added, ["r2"]);
  assert.deepEqual(followed.all(), ["a1", "r1", "r2"]);
});
