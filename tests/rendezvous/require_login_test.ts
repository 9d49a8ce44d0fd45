import assert from "node:assert/strict";
import { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import { requireLogin } from "../../src/rendezvous/require_login.ts";
import { testCaller } from "./protocol_harness.ts";

Deno.test("requireLogin serves a logged-in caller with its username, refuses anyone else", async () => {
  const loggedIn = new LoggedInUsers();
  const alice = await testCaller();
  const stranger = await testCaller();
  loggedIn.login("alice", alice.peerId, 0);
  const served: string[] = [];
  const handle = requireLogin(
    loggedIn,
    (request: string) => `refused ${request}`,
    (request: string, username: string, connection) => {
      served.push(`${username} ${connection.remotePeer}`);
      return Promise.resolve(`served ${request} for ${username}`);
    },
  );
  assert.equal(await handle("lookup", alice), "served lookup for alice");
  assert.equal(await handle("lookup", stranger), "refused lookup");
  assert.deepEqual(served, [`alice ${alice.peerId}`], "the refused request never ran");
  loggedIn.logout(alice.peerId, 1);
  assert.equal(await handle("fetch", alice), "refused fetch", "checked on every call");
});

Deno.test("requireLogin starts serving in the turn it checked the login", async () => {
  const loggedIn = new LoggedInUsers();
  const alice = await testCaller();
  loggedIn.login("alice", alice.peerId, 0);
  let started = false;
  const handle = requireLogin(loggedIn, () => "refused", () => {
    started = true;
    return Promise.resolve("served");
  });
  const answer = handle("subscribe", alice);
  assert.equal(started, true, "no await between the check and serve");
  assert.equal(await answer, "served");
});
