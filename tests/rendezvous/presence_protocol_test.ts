/**
 * /tincan/presence/2.0.0 on an in-memory stream pair: what a subscriber follows and only that
 * (the followed users online now, then their changes), the end of the feed at logout, paging,
 * away texts, the silence limit, and the refusals (not logged in, bad and oversize frames,
 * too many followed users, a subscriber that falls too far behind).
 */
import { ReplacedLogins } from "../../src/rendezvous/replaced_logins.ts";
import { presenceRequest } from "../../src/peer/clients/presence.ts";
import assert from "node:assert/strict";
import { PresenceEvent, PresenceRequest, Status } from "../../src/proto/services.ts";
import {
  FRAMES,
  MAX_AWAY_CHARS,
  MAX_FOLLOW_PER_REQUEST,
  MAX_FOLLOWED,
  MAX_LIST_PAGE,
} from "../../src/protocol/limits.ts";
import { MAX_PRESENCE_BACKLOG } from "../../src/rendezvous/constants.ts";
import { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import { MailSignal } from "../../src/rendezvous/mail_signal.ts";
import { presenceProtocol } from "../../src/rendezvous/presence_protocol.ts";
import { PresenceInterest, type PresenceWatcher } from "../../src/rendezvous/presence_interest.ts";
import { Metrics } from "../../src/rendezvous/metrics.ts";
import type { RemotePresenceFeed } from "../../src/rendezvous/federation/remote_presence.ts";
import {
  assertResetBy,
  memoryLog,
  serve,
  stillPending,
  type TestCaller,
  testCaller,
} from "./protocol_harness.ts";

const NOW = 1_700_000_000_000;
const { Type } = PresenceRequest;
const EventType = PresenceEvent.Type;

function presence(
  options: { silenceMs?: number; mailSignal?: MailSignal; remote?: RemotePresenceFeed } = {},
) {
  const loggedIn = new LoggedInUsers();
  const log = memoryLog();
  const metrics = new Metrics(() => NOW);
  const interest = new PresenceInterest<PresenceWatcher>();
  const handler = presenceProtocol({
    loggedIn,
    interest,
    logins: new ReplacedLogins(() => []),
    log,
    metrics,
    now: () => NOW,
    ...options,
  });
  const member = async (username: string, at = NOW) => {
    const caller = await testCaller();
    loggedIn.login(username, caller.peerId, at);
    return caller;
  };
  const subscribe = async (caller: TestCaller, follow: string[] = []) => {
    const served = await serve(handler, caller, PresenceRequest, PresenceEvent);
    const send = (request: Partial<PresenceRequest> & Pick<PresenceRequest, "type">) =>
      served.client.write(presenceRequest(request));
    await send({ type: Type.FOLLOW, usernames: follow });
    const next = async () => {
      const event = await served.client.read();
      return [event.type, event.status, event.username, event.online, Number(event.at)];
    };
    return { ...served, send, next };
  };
  return { loggedIn, log, metrics, interest, handler, member, subscribe };
}

Deno.test("presence: the followed users online now, then their changes; the feed ends at logout", async () => {
  const p = presence();
  const alice = await p.member("alice", NOW);
  const bob = await p.member("bob", NOW + 1);
  const feed = await p.subscribe(alice, ["bob", "carol"]);
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "bob", true, NOW + 1]);
  assert.deepEqual(await feed.next(), [EventType.REPLY, Status.OK, "", false, 0]);

  const carol = await p.member("carol", NOW + 2);
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "carol", true, NOW + 2]);
  p.loggedIn.logout(bob.peerId, NOW + 3);
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "bob", false, NOW + 3]);
  p.loggedIn.reannounce(carol.peerId, NOW + 4);
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "carol", true, NOW + 4]);
  assert.equal(await stillPending(feed.done), true, "the feed stays open while alice is online");
  assert.equal(p.metrics.presenceSubscriberCount, 1, "the operator's gauge counts the feed");

  p.loggedIn.logout(alice.peerId, NOW + 5);
  await feed.done;
  assert.equal(p.metrics.presenceSubscriberCount, 0);
  assert.equal(await feed.client.readOrEnd(), undefined, "closed once alice logs out");
  assert.equal(p.interest.watchers, 0, "the index forgets the ended feed");
});

Deno.test("presence: a watcher learns nothing of users it does not follow", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const feed = await p.subscribe(alice, ["bob"]);
  assert.deepEqual(await feed.next(), [EventType.REPLY, Status.OK, "", false, 0]);
  const mallory = await p.member("mallory");
  p.loggedIn.setAway(mallory.peerId, "secret plans", NOW);
  p.loggedIn.logout(mallory.peerId, NOW);
  await p.member("bob", NOW + 7);
  // The next event is bob's: none of mallory's login, away text or logout came before it.
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "bob", true, NOW + 7]);
  await feed.send({ type: Type.UNFOLLOW, usernames: ["bob"] });
  assert.deepEqual(await feed.next(), [EventType.REPLY, Status.OK, "", false, 0]);
  p.loggedIn.logout(p.loggedIn.byUsername("bob")!.peerId, NOW + 8);
  assert.equal(await stillPending(feed.client.read()), true, "unfollowed: bob's logout not told");
});

Deno.test("presence: FOLLOW later gives the user's state before its reply; names are checked", async () => {
  const p = presence();
  const alice = await p.member("alice");
  await p.member("bob", NOW + 1);
  const feed = await p.subscribe(alice);
  assert.deepEqual(await feed.next(), [EventType.REPLY, Status.OK, "", false, 0]);
  await feed.send({ type: Type.FOLLOW, usernames: ["Bob", "dave"] });
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "bob", true, NOW + 1]);
  assert.deepEqual(await feed.next(), [EventType.REPLY, Status.OK, "", false, 0]);
  await feed.send({ type: Type.FOLLOW, usernames: ["no spaces allowed"] });
  const bad = await feed.client.read();
  assert.equal(bad.status, Status.E_BAD_REQUEST);
  assert.match(bad.statusText, /Invalid username/);
  const many = Array.from({ length: MAX_FOLLOW_PER_REQUEST + 1 }, (_, i) => `user${i}`);
  await feed.send({ type: Type.FOLLOW, usernames: many });
  assert.match((await feed.client.read()).statusText, /usernames in one request: at most/);
  await feed.send({ type: Type.HEARTBEAT });
  assert.equal((await feed.client.read()).status, Status.OK, "the stream survives a refusal");
});

Deno.test("presence: following more than MAX_FOLLOWED users is refused with a clear error", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const feed = await p.subscribe(alice);
  await feed.next();
  for (let i = 0; i < MAX_FOLLOWED; i += MAX_FOLLOW_PER_REQUEST) {
    const usernames = Array.from(
      { length: Math.min(MAX_FOLLOW_PER_REQUEST, MAX_FOLLOWED - i) },
      (_, j) => `user${i + j}`,
    );
    await feed.send({ type: Type.FOLLOW, usernames });
    assert.equal((await feed.client.read()).status, Status.OK);
  }
  await feed.send({ type: Type.FOLLOW, usernames: ["onemore"] });
  const refused = await feed.client.read();
  assert.equal(refused.status, Status.E_BAD_REQUEST);
  assert.equal(
    refused.statusText,
    `Cannot follow ${MAX_FOLLOWED + 1} users: at most ${MAX_FOLLOWED}`,
  );
  assert.equal(
    p.interest.following(p.interest.watchersOf("user0").values().next().value!).size,
    MAX_FOLLOWED,
  );
});

Deno.test("presence: LIST pages through everyone online, sorted, with away texts", async () => {
  const p = presence();
  const alice = await p.member("alice");
  for (const name of ["erin", "bob", "dave", "carol"]) await p.member(name);
  p.loggedIn.setAway(p.loggedIn.byUsername("dave")!.peerId, "gone fishing", NOW);
  const feed = await p.subscribe(alice);
  await feed.next();
  const pages: string[][] = [];
  let cursor = "";
  do {
    await feed.send({ type: Type.LIST, cursor, limit: 2 });
    const page = await feed.client.read();
    assert.equal(page.type, EventType.REPLY);
    pages.push(page.users.map((u) => u.away ? `${u.username}:${u.away}` : u.username));
    cursor = page.nextCursor;
  } while (cursor !== "");
  assert.deepEqual(pages, [["alice", "bob"], ["carol", "dave:gone fishing"], ["erin"]]);
  for (const limit of [0, MAX_LIST_PAGE + 1]) {
    await feed.send({ type: Type.LIST, limit });
    assert.equal((await feed.client.read()).status, Status.E_BAD_REQUEST, `limit ${limit}`);
  }
});

Deno.test("presence: AWAY is pushed to followers, bounded, and dropped at logout", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const bob = await p.member("bob");
  const aliceFeed = await p.subscribe(alice, ["bob"]);
  await aliceFeed.next();
  await aliceFeed.next();
  const bobFeed = await p.subscribe(bob);
  await bobFeed.next();
  await bobFeed.send({ type: Type.AWAY, away: "gone fishing" });
  assert.equal((await bobFeed.client.read()).status, Status.OK);
  const change = await aliceFeed.client.read();
  assert.deepEqual([change.username, change.online, change.away], ["bob", true, "gone fishing"]);
  await bobFeed.send({ type: Type.AWAY, away: "x".repeat(MAX_AWAY_CHARS + 1) });
  const long = await bobFeed.client.read();
  assert.equal(long.status, Status.E_BAD_REQUEST);
  assert.equal(long.statusText, `Away text too long: 201 characters, at most ${MAX_AWAY_CHARS}`);
  await bobFeed.send({ type: Type.AWAY, away: "\u001b[2Jgotcha" });
  assert.match((await bobFeed.client.read()).statusText, /control characters/);
  assert.equal(p.loggedIn.awayOf("bob"), "gone fishing", "the refused texts changed nothing");
  p.loggedIn.logout(bob.peerId, NOW);
  assert.equal(p.loggedIn.awayOf("bob"), "", "kept in memory only while logged in");
});

Deno.test("presence: a subscriber silent past the limit has its connection dropped", async () => {
  const p = presence({ silenceMs: 200 });
  const alice = await p.member("alice");
  const aborted: Error[] = [];
  const feed = await p.subscribe({ ...alice, abort: (err?: Error) => void aborted.push(err!) });
  await feed.next();
  for (let i = 0; i < 3; i++) { // heartbeats keep it alive past the limit
    await new Promise((resolve) => setTimeout(resolve, 100));
    await feed.send({ type: Type.HEARTBEAT });
    await feed.next();
  }
  assert.equal(aborted.length, 0);
  await feed.done;
  assert.match(aborted[0]?.message ?? "", /no presence heartbeat within 200 ms/);
  assert.ok(p.log.lines.some((line) => /silent for 200 ms; dropping its connection/.test(line)));
});

Deno.test("presence: WHO names the user logged in on a PeerId, or nobody", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const bob = await p.member("bob");
  const feed = await p.subscribe(alice);
  await feed.next();
  await feed.send({ type: Type.WHO, peerId: bob.peerId });
  assert.equal((await feed.client.read()).username, "bob");
  p.loggedIn.logout(bob.peerId, NOW);
  await feed.send({ type: Type.WHO, peerId: bob.peerId });
  const nobody = await feed.client.read();
  assert.deepEqual([nobody.status, nobody.username], [Status.OK, ""]);
});

Deno.test("presence: the subscriber closing its stream ends the feed", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const feed = await p.subscribe(alice, ["bob"]);
  await feed.next();
  await feed.client.close();
  await feed.done;
  await p.member("bob"); // no subscriber is left to tell: nothing throws
  assert.equal(p.interest.watchersOf("bob").size, 0);
});

Deno.test("presence: a peer that is not logged in is refused, and the stream closed", async () => {
  const p = presence();
  await p.member("alice");
  const stranger = await p.subscribe(await testCaller(), ["alice"]);
  const refused = await stranger.client.read();
  assert.equal(refused.status, Status.E_NOT_AUTHORIZED);
  assert.equal(refused.statusText, "log in first");
  assert.equal(refused.username, "", "a refusal names nobody");
  await stranger.done;
  assert.equal(await stranger.client.readOrEnd(), undefined);
});

Deno.test("presence: a first request other than FOLLOW is refused", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const served = await serve(p.handler, alice, PresenceRequest, PresenceEvent);
  await served.client.write(presenceRequest({ type: Type.LIST, limit: 10 }));
  const refused = await served.client.read();
  assert.equal(refused.status, Status.E_BAD_REQUEST);
  await served.done;
  assert.equal(await served.client.readOrEnd(), undefined);
});

Deno.test("presence: bad and oversize requests reset the stream", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const garbage = await serve(p.handler, alice, PresenceRequest, PresenceEvent);
  await assertResetBy(garbage, Uint8Array.of(0x80, 0x80, 0x80, 0x80));

  const oversize = await serve(p.handler, alice, PresenceRequest, PresenceEvent);
  const length = FRAMES.presence.maxFrameBytes + 1; // 16385: varint 0x81 0x80 0x01
  await assertResetBy(oversize, Uint8Array.of(0x81, 0x80, 0x01, ...new Uint8Array(length)));
});

Deno.test("presence: a subscriber more than MAX_PRESENCE_BACKLOG events behind is reset", async () => {
  const p = presence();
  const alice = await p.member("alice");
  const bob = await p.member("bob");
  const feed = await p.subscribe(alice, ["bob"]);
  await feed.next();
  await feed.next();
  // Changes emitted in one turn pile up before the handler can write any of them.
  for (let i = 0; i <= MAX_PRESENCE_BACKLOG; i++) p.loggedIn.reannounce(bob.peerId, NOW + i);
  await feed.done;
  assert.ok(p.log.lines.some((line) => /fell behind; resetting its stream/.test(line)));
  await assert.rejects(async () => {
    while (await feed.client.readOrEnd() !== undefined) { /* drain what arrived first */ }
  });
});

Deno.test("presence: mail deposited for the subscriber is pushed as 'mail waiting', to it alone", async () => {
  const mailSignal = new MailSignal();
  const p = presence({ mailSignal });
  const alice = await p.subscribe(await p.member("alice"), ["bob"]);
  assert.equal((await alice.client.read()).status, Status.OK);
  const bob = await p.subscribe(await p.member("bob"), ["alice"]);
  const bobFirst = await bob.client.read();
  assert.deepEqual([bobFirst.username, bobFirst.online], ["alice", true]); // alice is online
  assert.equal((await bob.client.read()).type, EventType.REPLY);
  mailSignal.raise("alice");
  const online = await alice.client.read();
  assert.equal(online.username, "bob"); // bob came online first
  const push = await alice.client.read();
  assert.deepEqual([push.type, push.username, push.online], [
    EventType.MAIL_WAITING,
    "alice",
    false,
  ]);
  // alice's mail is not bob's business.
  assert.equal(await stillPending(bob.client.read()), true);
});

Deno.test("presence: with federation, bob@work is followed through the remote feed (bob@home is bob); UNFOLLOW and the end of the stream release it", async () => {
  const calls: string[] = [];
  let attached: PresenceWatcher | undefined;
  const remote: RemotePresenceFeed = {
    home: "home",
    attach(local, watcher) {
      calls.push(`attach ${local}`);
      attached = watcher;
      return () => calls.push(`detach ${local}`);
    },
    followed(names) {
      calls.push(`followed ${names.join(",")}`);
      return names.includes("bob@work")
        ? [{ username: "bob@work", peerId: "p", online: true, at: NOW - 5, away: "lunch" }]
        : [];
    },
    unfollowed: (names) => void calls.push(`unfollowed ${names.join(",")}`),
  };
  const p = presence({ remote });
  const alice = await p.member("alice");
  const carol = await p.member("carol", NOW + 1);
  const feed = await p.subscribe(alice, ["Bob@Work", "carol@HOME"]);
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "carol", true, NOW + 1]);
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "bob@work", true, NOW - 5]);
  assert.deepEqual(await feed.next(), [EventType.REPLY, Status.OK, "", false, 0]);
  assert.deepEqual([...p.interest.following(attached!)].sort(), ["bob@work", "carol"]);
  // A change the remote feed delivers to the watchers of bob@work reaches alice.
  for (const w of p.interest.watchersOf("bob@work")) {
    w.deliver({ username: "bob@work", peerId: "p", online: false, at: NOW + 2, away: "" });
  }
  assert.deepEqual(await feed.next(), [EventType.CHANGE, Status.OK, "bob@work", false, NOW + 2]);
  await feed.send({ type: Type.UNFOLLOW, usernames: ["BOB@work"] });
  assert.deepEqual(await feed.next(), [EventType.REPLY, Status.OK, "", false, 0]);
  await feed.send({ type: Type.FOLLOW, usernames: ["dave@elsewhere"] });
  assert.deepEqual(await feed.next(), [EventType.REPLY, Status.OK, "", false, 0]);
  await feed.client.close();
  await feed.done;
  assert.deepEqual(calls, [
    "followed bob@work,carol",
    "attach alice",
    "unfollowed bob@work",
    "followed dave@elsewhere",
    "detach alice",
    "unfollowed carol,dave@elsewhere",
  ]);
  p.loggedIn.logout(carol.peerId, NOW + 3);
});
