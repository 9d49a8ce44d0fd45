/**
 * Peers across federated rendezvous nodes: alice@home and bob@work chat directly and by mail,
 * with receipts back across, and across a key change; `/servers` and `/list work`. Rooms across
 * nodes: federation_rooms_test.ts.
 */
import assert from "node:assert/strict";
import type { Rendezvous } from "../../src/rendezvous/server.ts";
import { federatedOptions, twoNodes } from "./federation_helpers.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";

Deno.test("federation peers: alice@home and bob@work chat directly, names qualified on each side", async () => {
  const { home, work, homeNode, workNode } = await twoNodes();
  const alice = await startPeer(home.address, "alice");
  const bob = await startPeer(work.address, "bob");
  try {
    assert.equal(alice.peer.home, "home");
    assert.equal(bob.peer.home, "work");
    const id = await alice.peer.send("Bob@Work", "hello from home");
    const got = await bob.next("message", (m) => m.id === id);
    assert.equal(got.from, "alice@home");
    assert.equal(got.text, "hello from home");
    assert.equal(got.via, "direct");
    await alice.next("delivered", (d) => d.id === id);
    const reply = await bob.peer.send("alice@home", "hi from work");
    const back = await alice.next("message", (m) => m.id === reply);
    assert.equal(back.from, "bob@work");
    await bob.next("delivered", (d) => d.id === reply);
    assert.deepEqual((await alice.peer.history("bob@work", 10)).map((h) => h.text), [
      "hello from home",
      "hi from work",
    ]);
    assert.equal(
      await alice.peer.safetyNumber("bob@work"),
      await bob.peer.safetyNumber("alice@home"),
    );
    // `alice@home` typed at home is just alice.
    assert.equal(alice.peer.nameOf("alice@HOME"), "alice");
  } finally {
    await stopAll(alice, bob, homeNode, workNode);
  }
});

Deno.test("federation peers: mail for bob@work while he is offline; he reads it at login, the receipt comes back", async () => {
  const { home, work, homeNode, workNode } = await twoNodes();
  const alice = await startPeer(home.address, "alice");
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  let bob = await startPeer(work.address, "bob", { profileDir: bobDir });
  try {
    await bob.stop();
    const id = await alice.peer.send("bob@work", "while you were out");
    const queued = await alice.next("queued", (q) => q.id === id);
    assert.equal(queued.queuedFor, undefined, "work's mailbox took it at once");
    bob = await startPeer(work.address, "bob", { profileDir: bobDir });
    const got = await bob.next("message", (m) => m.id === id);
    assert.equal(got.from, "alice@home");
    assert.equal(got.via, "mailbox");
    assert.equal(got.trusted, true);
    await alice.next("delivered", (d) => d.id === id);
    const [line] = await alice.peer.history("bob@work", 1);
    assert.equal(line?.delivery?.status, "delivered");
  } finally {
    await stopAll(alice, bob, homeNode, workNode);
  }
});

Deno.test("federation peers: while work is down the mail is 'queued for work', then forwarded and read once", async () => {
  const { home, work, homeNode, workNode } = await twoNodes();
  const alice = await startPeer(home.address, "alice", { forwardPollMs: 200 });
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  let bob = await startPeer(work.address, "bob", { profileDir: bobDir });
  let workAgain: Rendezvous | undefined;
  try {
    const first = await alice.peer.send("bob@work", "first");
    await bob.next("message", (m) => m.id === first);
    await alice.next("delivered", (d) => d.id === first);
    await bob.stop();
    await workNode.stop();
    const id = await alice.peer.send("bob@work", "held at home");
    const queued = await alice.next("queued", (q) => q.id === id, 30_000);
    assert.equal(queued.queuedFor, "work");
    const [line] = await alice.peer.history("bob@work", 1);
    assert.equal(line?.delivery?.status, "queued", "visible in /history while it waits");
    workAgain = (await withRendezvous(federatedOptions(work, [home]))).rendezvous;
    const forwarded = await alice.next("forwarded", (f) => f.id === id, 30_000);
    assert.equal(forwarded.server, "work");
    bob = await startPeer(work.address, "bob", { profileDir: bobDir });
    await bob.next("message", (m) => m.id === id);
    await alice.next("delivered", (d) => d.id === id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(bob.events.filter((e) => e.type === "message" && e.id === id).length, 1);
  } finally {
    await stopAll(alice, bob, homeNode, workAgain);
  }
});

Deno.test("federation peers: bob@work's new key is a key change at home, shown as a local one", async () => {
  const { home, work, homeNode, workNode } = await twoNodes();
  const alice = await startPeer(home.address, "alice");
  const bob = await startPeer(work.address, "bob");
  let newBob: Awaited<ReturnType<typeof startPeer>> | undefined;
  try {
    const first = await alice.peer.send("bob@work", "before");
    await bob.next("message", (m) => m.id === first);
    await alice.next("delivered", (d) => d.id === first);
    await bob.stop();
    newBob = await startPeer(work.address, "bob"); // a new profile: a new identity key
    const held = await alice.peer.send("bob@work", "held");
    const changed = await alice.next("key-changed", (k) => k.username === "bob@work");
    assert.equal(changed.blocked, false);
    const whois = await alice.peer.whois("bob@work");
    assert.equal(whois.certified.standing, "changed");
    assert.equal(whois.keyLog.length, 2, "the key log fetched through the federation");
    assert.equal(whois.keyLogVerified, true);
    const pending = alice.peer.pendingKey("bob@work");
    assert.ok(pending);
    assert.equal(alice.peer.trust("bob@work", pending.fingerprint), 1);
    assert.equal(alice.peer.resendHeld("bob@work"), 1);
    await newBob.next("message", (m) => m.id === held);
  } finally {
    await stopAll(alice, bob, newBob, homeNode, workNode);
  }
});

Deno.test("federation peers: an unknown server and an unknown user are clear failures; /servers and /list work", async () => {
  const { home, work, homeNode, workNode } = await twoNodes();
  const alice = await startPeer(home.address, "alice");
  const bob = await startPeer(work.address, "bob");
  try {
    const nowhere = await alice.peer.send("bob@nowhere", "x");
    const lost = await alice.next("failed", (f) => f.id === nowhere);
    assert.match(lost.reason, /nowhere/);
    const nobody = await alice.peer.send("carol@work", "x");
    assert.match((await alice.next("failed", (f) => f.id === nobody)).reason, /no user carol@work/);
    const servers = await alice.peer.servers();
    assert.equal(servers.home, "home");
    assert.deepEqual(servers.servers.map((s) => s.name), ["work"]);
    const page = await alice.peer.listOnlineAt("work");
    assert.deepEqual(page.online.map((u) => u.username), ["bob@work"]);
    assert.deepEqual((await alice.peer.listOnlineAt("home")).online.map((u) => u.username), [
      "alice",
    ]);
  } finally {
    await stopAll(alice, bob, homeNode, workNode);
  }
});
