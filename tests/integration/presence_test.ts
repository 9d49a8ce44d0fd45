/**
 * /tincan/presence/2.0.0 against a real rendezvous: the followed users online now, then their
 * online and offline events — and none about users not followed; /list pages; away texts.
 */
import assert from "node:assert/strict";
import { type Presence, subscribePresence } from "../../src/peer/clients/presence.ts";
import { Status } from "../../src/proto/services.ts";
import {
  clientNode,
  loggedInClient,
  remoteError,
  stopAll,
  within,
  withRendezvous,
} from "./harness.ts";

/** Reads `events` until one matches, failing after the harness' wait. */
async function next(
  events: AsyncIterator<Presence>,
  what: string,
  matches: (event: Presence) => boolean,
): Promise<Presence> {
  return await within(
    what,
    (async () => {
      while (true) {
        const result = await events.next();
        assert.ok(!result.done, `the presence stream ended before ${what}`);
        if (matches(result.value)) return result.value;
      }
    })(),
  );
}

Deno.test("presence: the followed online now, then logins and disconnects as they happen", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await loggedInClient(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const dave = await loggedInClient(address, "dave"); // online, but not followed
  let carol: Awaited<ReturnType<typeof loggedInClient>> | undefined;
  const feed = await subscribePresence(alice, address, ["alice", "bob", "carol"]);
  const events = feed.events[Symbol.asyncIterator]();
  try {
    const snapshot = [
      await next(events, "the first snapshot event", () => true),
      await next(events, "the second snapshot event", () => true),
    ];
    assert.deepEqual(
      snapshot.map((e) => [e.username, e.peerId, e.online]).sort(),
      [
        ["alice", alice.peerId.toString(), true],
        ["bob", bob.peerId.toString(), true],
      ],
    );

    carol = await loggedInClient(address, "carol");
    const online = await next(events, "carol online", (e) => e.username === "carol");
    assert.equal(online.online, true);
    assert.equal(online.peerId, carol.peerId.toString());
    assert.ok(online.at > 0);

    await bob.stop();
    const offline = await next(events, "bob offline", (e) => e.username === "bob" && !e.online);
    assert.equal(offline.peerId, bob.peerId.toString());
    assert.equal(rendezvous.loggedIn.byUsername("bob"), undefined);
    const page = await feed.list(undefined, 2);
    assert.deepEqual(page.users.map((u) => u.username), ["alice", "carol"]);
    assert.deepEqual((await feed.list(page.next, 2)).users.map((u) => u.username), ["dave"]);
  } finally {
    await feed.close().catch(() => {});
    await stopAll(alice, bob, carol, dave, rendezvous);
  }
});

Deno.test("presence: one subscriber sees another subscriber go offline", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await loggedInClient(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const aliceFeed = await subscribePresence(alice, address);
  const bobFeed = await subscribePresence(bob, address, ["alice"]);
  const bobEvents = bobFeed.events[Symbol.asyncIterator]();
  try {
    await alice.stop();
    const offline = await next(
      bobEvents,
      "alice offline",
      (e) => e.username === "alice" && !e.online,
    );
    assert.equal(offline.peerId, alice.peerId.toString());
    assert.equal(rendezvous.loggedIn.size, 1);
  } finally {
    await aliceFeed.close().catch(() => {});
    await bobFeed.close().catch(() => {});
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("presence: a peer that is not logged in is refused", async () => {
  const { rendezvous, address } = await withRendezvous();
  const stranger = await clientNode();
  try {
    const err = await remoteError(subscribePresence(stranger, address), Status.E_NOT_AUTHORIZED);
    assert.match(err.message, /log in first/);
  } finally {
    await stopAll(stranger, rendezvous);
  }
});

Deno.test("presence: a peer that follows nobody hears nothing of logins, away texts, logouts", async () => {
  const { rendezvous, address } = await withRendezvous();
  const eve = await loggedInClient(address, "eve"); // follows no one
  const alice = await loggedInClient(address, "alice"); // follows bob
  const eveFeed = await subscribePresence(eve, address);
  const aliceFeed = await subscribePresence(alice, address, ["bob"]);
  const aliceEvents = aliceFeed.events[Symbol.asyncIterator]();
  const eveSeen: Presence[] = [];
  const eveReading = (async () => {
    for await (const event of eveFeed.events) eveSeen.push(event);
  })().catch(() => {});
  let bob: Awaited<ReturnType<typeof loggedInClient>> | undefined;
  try {
    bob = await loggedInClient(address, "bob");
    await next(aliceEvents, "bob online", (e) => e.username === "bob" && e.online);
    const bobFeed = await subscribePresence(bob, address);
    await bobFeed.setAway("gone fishing");
    const away = await next(aliceEvents, "bob away", (e) => e.away === "gone fishing");
    assert.equal(away.username, "bob");
    await bobFeed.close();
    await bob.stop();
    await next(aliceEvents, "bob offline", (e) => e.username === "bob" && !e.online);
    // eve's feed was open all along and is still served: a request round trip proves that
    // everything the rendezvous sent her before it has arrived.
    await eveFeed.heartbeat();
    assert.deepEqual(eveSeen, [], "nothing about bob reached eve");
  } finally {
    await eveFeed.close().catch(() => {});
    await aliceFeed.close().catch(() => {});
    await eveReading;
    await stopAll(eve, alice, bob, rendezvous);
  }
});
