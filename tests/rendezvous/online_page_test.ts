import assert from "node:assert/strict";
import { onlinePage } from "../../src/rendezvous/online_page.ts";

const USERS = ["dave", "bob", "carol", "alice"].map((username, i) => ({ username, since: i }));

Deno.test("onlinePage: sorted by username, after the cursor, at most limit, with the next cursor", () => {
  const first = onlinePage(USERS, "", 3, 100);
  assert.deepEqual(first.online.map((u) => u.username), ["alice", "bob", "carol"]);
  assert.equal(first.nextCursor, "carol");
  assert.equal(first.online[1]!.since, 1n);
  const last = onlinePage(USERS, first.nextCursor, 3, 100);
  assert.deepEqual(last.online.map((u) => u.username), ["dave"]);
  assert.equal(last.nextCursor, "");
});

Deno.test("onlinePage: the limit is at least 1 and at most max", () => {
  assert.equal(onlinePage(USERS, "", 0, 100).online.length, 1);
  assert.equal(onlinePage(USERS, "", 1000, 2).online.length, 2);
  assert.equal(onlinePage(USERS, "", 4, 100).nextCursor, "");
  assert.deepEqual(onlinePage([], "", 10, 100), { online: [], nextCursor: "" });
});
