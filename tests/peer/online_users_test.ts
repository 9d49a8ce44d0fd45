/** The followed users online: arrivals, away changes, departures from the right device. */
import assert from "node:assert/strict";
import { OnlineUsers } from "../../src/peer/online_users.ts";

Deno.test("online users: an arrival, an away change, then a departure", () => {
  const online = new OnlineUsers();
  assert.equal(online.arrived("bob", "p1"), "arrived");
  assert.equal(online.arrived("bob", "p1"), undefined, "announced again: nothing new");
  assert.equal(online.arrived("bob", "p1", "gone fishing"), "away");
  assert.equal(online.awayOf("bob"), "gone fishing");
  assert.equal(online.arrived("bob", "p1", ""), "away", "back");
  assert.equal(online.usernameOn("p1"), "bob");
  assert.deepEqual(online.online(), ["bob"]);
  assert.equal(online.left("bob", "p0"), false, "an older device leaving is not bob leaving");
  assert.equal(online.left("bob", "p1"), true);
  assert.equal(online.awayOf("bob"), undefined);
  assert.equal(online.isOnline("bob"), false);
});

Deno.test("online users: forget and clear", () => {
  const online = new OnlineUsers();
  online.arrived("bob", "p1");
  online.arrived("carol", "p2", "lunch");
  online.forget("bob");
  assert.deepEqual(online.online(), ["carol"]);
  online.clear();
  assert.deepEqual(online.online(), []);
});
