/**
 * /tincan/presence/1.0.0 on an in-memory stream pair: the snapshot, live changes, the end of the
 * feed at logout, and the refusals (not logged in, bad and oversize frames, a subscriber that
 * falls too far behind).
 */
import { ReplacedLogins } from "../../src/rendezvous/replaced_logins.ts";
import assert from "node:assert/strict";
import { PresenceEvent, PresenceRequest, Status } from "../../src/proto/services.ts";
import { FRAMES } from "../../src/protocol/limits.ts";
import { MAX_PRESENCE_BACKLOG } from "../../src/rendezvous/constants.ts";
import { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import { MailSignal } from "../../src/rendezvous/mail_signal.ts";
import { presenceProtocol } from "../../src/rendezvous/presence_protocol.ts";
import { Metrics } from "../../src/rendezvous/metrics.ts";
import {
  assertResetBy,
  memoryLog,
  serve,
  stillPending,
  type TestCaller,
  testCaller,
} from "./protocol_harness.ts";

const NOW = 1_700_000_000_000;

function presence() {
  const loggedIn = new LoggedInUsers();
  const log = memoryLog();
  const metrics = new Metrics(() => NOW);
  const handler = presenceProtocol({
    loggedIn,
    logins: new ReplacedLogins(() => []),
    log,
    metrics,
  });
  const member = async (username: string, at = NOW) => {
    const caller = await testCaller();
    loggedIn.login(username, caller.peerId, at);
    return caller;
  };
  const subscribe = async (caller: TestCaller) => {
    const served = await serve(handler, caller, PresenceRequest, PresenceEvent);
    await served.client.write({});
    const next = async () => {
      const event = await served.client.read();
      return [event.status, event.username, event.online, Number(event.at)];
    };
    return { ...served, next };
  };
  return { loggedIn, log, metrics, handler, member, subscribe };
}

Deno.test("presence: OK, everyone online now, then each change; the feed ends at logout", async () => {
  const p = presence();
  const alice = await p.member("alice", NOW);
  const bob = await p.member("bob", NOW + 1);
  const feed = await p.subscribe(alice);
  assert.deepEqual(await feed.next(), [Status.OK, "", false, 0]);
  assert.deepEqual(await feed.next(), [Status.OK, "alice", true, NOW]);
  assert.deepEqual(await feed.next(), [Status.OK, "bob", true, NOW + 1]);

  const carol = await p.member("carol", NOW + 2);
  assert.deepEqual(await feed.next(), [Status.OK, "carol", true, NOW + 2]);
  p.loggedIn.logout(bob.peerId, NOW + 3);
  assert.deepEqual(await feed.next(), [Status.OK, "bob", false, NOW + 3]);
  p.loggedIn.reannounce(carol.peerId, NOW + 4);
  assert.deepEqual(await feed.next(), [Status.OK, "carol", true, NOW + 4]);
  assert.equal(await stillPending(feed.done), true, "the feed stays open while alice is online");
  assert.equal(p.metrics.presenceSubscriberCount, 1, "the operator's gauge counts the feed");

  p.loggedIn.logout(alice.peerId, NOW + 5);
  await feed.done;
  assert.equal(p.metrics.presenceSubscriberCount, 0);
  assert.equal(await feed.client.readOrEnd(), undefined, "closed once alice logs out");
});

Deno.test("presence: the subscriber closing its stream ends the feed", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const feed = await p.subscribe(alice);
  await feed.next();
  await feed.next();
  await feed.client.close();
  await feed.done;
  await p.member("bob"); // no subscriber is left to tell: nothing throws
});

Deno.test("presence: a peer that is not logged in is refused, and the stream closed", async () => {
  const p = presence();
  await p.member("alice");
  const stranger = await p.subscribe(await testCaller());
  const refused = await stranger.client.read();
  assert.equal(refused.status, Status.E_NOT_AUTHORIZED);
  assert.equal(refused.statusText, "log in first");
  assert.equal(refused.username, "", "a refusal names nobody");
  await stranger.done;
  assert.equal(await stranger.client.readOrEnd(), undefined);
});

Deno.test("presence: bad and oversize requests reset the stream", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const garbage = await serve(p.handler, alice, PresenceRequest, PresenceEvent);
  await assertResetBy(garbage, Uint8Array.of(0x80, 0x80, 0x80, 0x80));

  const oversize = await serve(p.handler, alice, PresenceRequest, PresenceEvent);
  const length = FRAMES.presence.maxFrameBytes + 1; // 1025: varint 0x81 0x08
  await assertResetBy(oversize, Uint8Array.of(0x81, 0x08, ...new Uint8Array(length)));
});

Deno.test("presence: a subscriber more than MAX_PRESENCE_BACKLOG events behind is reset", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const feed = await p.subscribe(alice);
  await feed.next();
  await feed.next();
  // Changes emitted in one turn pile up before the handler can write any of them.
  for (let i = 0; i <= MAX_PRESENCE_BACKLOG; i++) p.loggedIn.login(`user${i}`, `peer${i}`, NOW);
  await feed.done;
  assert.ok(p.log.lines.some((line) => /fell behind; resetting its stream/.test(line)));
  await assert.rejects(async () => {
    while (await feed.client.readOrEnd() !== undefined) { /* drain what arrived first */ }
  });
});

Deno.test("presence: mail deposited for the subscriber is pushed as 'mail waiting', to it alone", async () => {
  const loggedIn = new LoggedInUsers();
  const mailSignal = new MailSignal();
  const handler = presenceProtocol({
    loggedIn,
    logins: new ReplacedLogins(() => []),
    log: memoryLog(),
    mailSignal,
    metrics: new Metrics(() => NOW),
  });
  const subscribe = async (username: string) => {
    const caller = await testCaller();
    loggedIn.login(username, caller.peerId, NOW);
    const served = await serve(handler, caller, PresenceRequest, PresenceEvent);
    await served.client.write({});
    return served;
  };
  const alice = await subscribe("alice");
  assert.equal((await alice.client.read()).status, Status.OK);
  assert.equal((await alice.client.read()).username, "alice"); // the snapshot: alice online
  const bob = await subscribe("bob");
  assert.equal((await bob.client.read()).status, Status.OK);
  mailSignal.raise("alice");
  const waiting = await alice.client.read();
  assert.equal(waiting.username, "bob"); // bob came online first
  const push = await alice.client.read();
  assert.deepEqual([push.mailWaiting, push.username, push.online], [true, "alice", false]);
  // bob's feed has the snapshot only: alice's mail is not his business.
  assert.equal((await bob.client.read()).username, "alice");
  assert.equal((await bob.client.read()).username, "bob");
  assert.equal(await stillPending(bob.client.read()), true);
});
