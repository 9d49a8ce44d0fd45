/**
 * Presence across federated nodes: alice@home, having looked bob@work up, hears on her presence
 * stream at home when bob comes online and goes offline at work, within seconds — and of no one
 * else at work. Work is asked about bob alone.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { type Presence, subscribePresence } from "../../src/peer/clients/presence.ts";
import { DirectoryRequest, Status } from "../../src/proto/services.ts";
import { askDirectory, federatedOptions, planNode } from "./federation_helpers.ts";
import { clientNode, FAST, loggedInClient, stopAll, within, withRendezvous } from "./harness.ts";

/** Two rendezvous nodes, home and work, federated with each other. */
async function homeAndWork() {
  const home = await planNode("home");
  const work = await planNode("work");
  const homeNode = (await withRendezvous(federatedOptions(home, [work]))).rendezvous;
  const workNode = (await withRendezvous(federatedOptions(work, [home]))).rendezvous;
  return { home, work, homeNode, workNode };
}

Deno.test("federation: alice@home hears bob@work come and go once she looked him up, and no one else", async () => {
  const { home, work, homeNode, workNode } = await homeAndWork();
  const alice = await loggedInClient(home.address, "alice");
  const bobKey = await generateKeyPair("Ed25519");
  const bob = await clientNode(bobKey);
  const carol = await loggedInClient(work.address, "carol");
  const feed = await subscribePresence(alice, home.address);
  try {
    await registerAccount(bob, work.address, "bob", "pw-bob", FAST);
    const found = await askDirectory(alice, home.address, {
      type: DirectoryRequest.Type.LOOKUP,
      username: "bob",
      server: "work",
      withoutOneTimePrekey: true,
    });
    assert.equal(found.status, Status.OK, found.statusText);

    const seen: Presence[] = [];
    const events = feed.events[Symbol.asyncIterator]();
    const next = async (what: string, match: (p: Presence) => boolean): Promise<Presence> => {
      while (true) {
        const { value, done } = await within(what, events.next(), 5_000);
        assert.ok(!done, `the feed ended before ${what}`);
        seen.push(value);
        if (match(value)) return value;
      }
    };
    await login(bob, work.address, "bob", "pw-bob", FAST);
    const online = await next("bob@work online", (p) => p.username === "bob@work" && p.online);
    assert.equal(online.peerId, bob.peerId.toString());
    await bob.stop();
    await next("bob@work offline", (p) => p.username === "bob@work" && !p.online);
    assert.ok(
      seen.every((p) => !p.username.startsWith("carol")),
      "carol at work is not shown to home",
    );
  } finally {
    await feed.close();
    await stopAll(alice, bob, carol, homeNode, workNode);
  }
});

Deno.test("federation: alice@home FOLLOWs bob@work (no lookup): his online, away text and offline reach her, until she UNFOLLOWs", async () => {
  const { home, work, homeNode, workNode } = await homeAndWork();
  const alice = await loggedInClient(home.address, "alice");
  const bob = await loggedInClient(work.address, "bob");
  const carol = await loggedInClient(work.address, "carol");
  // bob@HOME is alice's own node's bob: local, not work's.
  const feed = await subscribePresence(alice, home.address, ["Bob@Work", "carol@home"]);
  const bobFeed = await subscribePresence(bob, work.address);
  try {
    const events = feed.events[Symbol.asyncIterator]();
    const next = async (what: string): Promise<Presence> => {
      const { value, done } = await within(what, events.next(), 5_000);
      assert.ok(!done, `the feed ended before ${what}`);
      return value;
    };
    const online = await next("bob@work online");
    assert.deepEqual([online.username, online.online, online.peerId], [
      "bob@work",
      true,
      bob.peerId.toString(),
    ]);
    await bobFeed.setAway("gone fishing");
    const away = await next("bob@work away");
    assert.deepEqual([away.username, away.online, away.away], ["bob@work", true, "gone fishing"]);
    await feed.unfollow(["bob@work"]);
    await bobFeed.setAway("");
    await bobFeed.close();
    await bob.stop();
    await feed.follow(["carol@work"]);
    const next1 = await next("carol@work online");
    assert.equal(next1.username, "carol@work", "nothing of bob after UNFOLLOW");
  } finally {
    await feed.close();
    await stopAll(alice, bob, carol, homeNode, workNode);
  }
});
