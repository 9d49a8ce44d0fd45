import assert from "node:assert/strict";
import { LoggedInUsers, type PresenceChange } from "../../src/rendezvous/logged_in_users.ts";

function watch(users: LoggedInUsers): string[] {
  const seen: string[] = [];
  users.subscribe((c: PresenceChange) =>
    seen.push(`${c.username}@${c.peerId} ${c.online} ${c.at}`)
  );
  return seen;
}

Deno.test("LoggedInUsers finds a login by PeerId and by username, until logout", () => {
  const users = new LoggedInUsers();
  const seen = watch(users);
  assert.equal(users.login("alice", "p1", 10), undefined);
  assert.equal(users.usernameOf("p1"), "alice");
  assert.deepEqual(users.byUsername("alice"), { username: "alice", peerId: "p1", since: 10 });
  assert.equal(users.size, 1);
  assert.deepEqual(users.logout("p1", 20), { username: "alice", peerId: "p1", since: 10 });
  assert.equal(users.usernameOf("p1"), undefined);
  assert.equal(users.byUsername("alice"), undefined);
  assert.equal(users.logout("p1", 30), undefined);
  assert.deepEqual(seen, ["alice@p1 true 10", "alice@p1 false 20"]);
});

Deno.test("LoggedInUsers: a login from a new PeerId replaces the old one and says which", () => {
  const users = new LoggedInUsers();
  users.login("alice", "p1", 10);
  const seen = watch(users);
  assert.equal(users.login("alice", "p2", 20), "p1");
  assert.equal(users.usernameOf("p1"), undefined);
  assert.equal(users.usernameOf("p2"), "alice");
  assert.deepEqual(seen, ["alice@p1 false 20", "alice@p2 true 20"]);
});

Deno.test("LoggedInUsers: one PeerId is one user; a repeat login and a reannounce announce again", () => {
  const users = new LoggedInUsers();
  users.login("alice", "p1", 10);
  const seen = watch(users);
  assert.equal(users.login("alice", "p1", 20), undefined);
  users.reannounce("p1", 30);
  users.reannounce("nobody", 30);
  users.login("bob", "p1", 40);
  assert.equal(users.byUsername("alice"), undefined);
  assert.equal(users.usernameOf("p1"), "bob");
  assert.deepEqual(users.online().map((u) => u.username), ["bob"]);
  assert.deepEqual(seen, [
    "alice@p1 true 20",
    "alice@p1 true 30",
    "alice@p1 false 40",
    "bob@p1 true 40",
  ]);
});

Deno.test("LoggedInUsers.subscribe returns a function that stops the listener", () => {
  const users = new LoggedInUsers();
  const seen: string[] = [];
  const stop = users.subscribe((c) => seen.push(c.username));
  users.login("alice", "p1", 0);
  stop();
  users.login("bob", "p2", 0);
  assert.deepEqual(seen, ["alice"]);
});
