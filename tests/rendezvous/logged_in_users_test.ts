import assert from "node:assert/strict";
import {
  LIST_STALE_MS,
  LoggedInUsers,
  type PresenceChange,
} from "../../src/rendezvous/logged_in_users.ts";

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

Deno.test("LoggedInUsers: an away text is told to the subscribers and ends at logout", () => {
  const users = new LoggedInUsers();
  users.login("bob", "p1", 10);
  const seen: string[] = [];
  users.subscribe((c) => seen.push(`${c.username} ${c.online} ${c.away}`));
  assert.equal(users.setAway("p1", "gone fishing", 20), true);
  assert.equal(users.awayOf("bob"), "gone fishing");
  users.reannounce("p1", 25);
  assert.equal(users.setAway("p1", "", 30), true);
  assert.equal(users.setAway("nobody", "x", 40), false, "only a logged-in PeerId");
  users.setAway("p1", "again", 50);
  users.logout("p1", 60);
  assert.equal(users.awayOf("bob"), "");
  users.login("bob", "p1", 70);
  assert.deepEqual(seen, [
    "bob true gone fishing",
    "bob true gone fishing",
    "bob true ",
    "bob true again",
    "bob false ",
    "bob true ",
  ]);
});

Deno.test("LoggedInUsers: page() pages through everyone online, sorted, after a cursor", () => {
  const users = new LoggedInUsers();
  ["dave", "alice", "carol", "bob"].forEach((name, i) => users.login(name, `p${i}`, i));
  users.setAway("p2", "lunch", 9);
  assert.deepEqual(users.page("", 3, 100), {
    users: [
      { username: "alice", away: "" },
      { username: "bob", away: "" },
      { username: "carol", away: "lunch" },
    ],
    next: "carol",
  });
  assert.deepEqual(users.page("carol", 3, 100), {
    users: [{ username: "dave", away: "" }],
    next: "",
  });
  assert.deepEqual(users.page("bob", 2, 100).users.map((u) => u.username), ["carol", "dave"]);
  assert.equal(users.page("bob", 2, 100).next, "", "the last page has no cursor");
  assert.deepEqual(users.page("zed", 5, 100), { users: [], next: "" });
  users.logout("p1", 200); // alice leaves; aaron comes
  users.login("aaron", "p9", 201);
  const stale = users.page("", 2, 100 + LIST_STALE_MS - 1);
  assert.deepEqual(stale.users.map((u) => u.username), ["bob"], "alice skipped, aaron not yet");
  assert.deepEqual(
    users.page("", 2, 100 + LIST_STALE_MS).users.map((u) => u.username),
    ["aaron", "bob"],
    "sorted again once the listing is LIST_STALE_MS old",
  );
});
