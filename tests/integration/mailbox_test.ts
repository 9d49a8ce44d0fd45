/**
 * Offline delivery through the rendezvous mailbox (/tincan/mailbox/1.0.0): a message to someone
 * offline is queued there and arrives, in order, when they log in — also to someone never seen
 * online, and across a rendezvous restart; the receipt comes back (directly or as mail); quotas
 * and bad deposits get clear statuses.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { MailboxClient } from "../../src/peer/clients/mailbox.ts";
import { MAX_ENVELOPE_BYTES } from "../../src/protocol/limits.ts";
import {
  clientNode,
  FAST,
  loggedInClient,
  ManualClock,
  remoteError,
  stopAll,
  waitFor,
  withRendezvous,
} from "./harness.ts";
import { mailCount, testEnvelope } from "./mailbox_helpers.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";
import type { ContentMessage, ServiceFactory } from "../../src/peer/service.ts";

async function profileDir(username: string): Promise<string> {
  return await Deno.makeTempDir({ prefix: `tincan-${username}-` });
}

/** Registers `username` with a fresh profile (publishing its prekeys) and logs it out again. */
async function registerOffline(address: Parameters<typeof startPeer>[0], username: string) {
  const dir = await profileDir(username);
  const peer = await startPeer(address, username, { profileDir: dir });
  await peer.stop();
  return dir;
}

Deno.test("mailbox: messages to a user never seen online arrive in order when they log in", async () => {
  const { rendezvous, address, dataDir } = await withRendezvous();
  let alice: TestPeer | undefined;
  let bob: TestPeer | undefined;
  try {
    const bobDir = await registerOffline(address, "bob");
    alice = await startPeer(address, "alice");
    const texts = ["first, while you were out", "second", "third"];
    const ids: string[] = [];
    for (const text of texts) ids.push(await alice.peer.send("bob", text));
    for (const id of ids) await alice.next("queued", (q) => q.id === id);
    assert.equal(mailCount(dataDir, "bob"), 3);

    bob = await startPeer(address, "bob", { profileDir: bobDir });
    const got = bob.events.filter((e) => e.type === "message");
    assert.deepEqual(got.map((m) => m.text), texts, "mail is read during the login, in order");
    assert.ok(got.every((m) => m.type === "message" && m.via === "mailbox" && m.from === "alice"));
    // The receipt comes back (alice is online) and the mailbox is emptied.
    for (const id of ids) await alice.next("delivered", (d) => d.id === id);
    await waitFor("bob's mailbox to be emptied", () => mailCount(dataDir, "bob") === 0);
    assert.equal(alice.events.filter((e) => e.type === "failed").length, 0);

    // The conversation goes on directly, both ways.
    const reply = await bob.peer.send("alice", "thanks, got them");
    const back = await alice.next("message", (m) => m.id === reply);
    assert.equal(back.via, "direct");
    const more = await alice.peer.send("bob", "great");
    assert.equal((await bob.next("message", (m) => m.id === more)).via, "direct");
    assert.equal(bob.events.filter((e) => e.type === "message").length, 4, "nothing twice");
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("mailbox: mail survives a rendezvous restart; the receipt reaches a sender who is offline too", async () => {
  const first = await withRendezvous();
  const { dataDir } = first;
  let second: Awaited<ReturnType<typeof withRendezvous>> | undefined;
  const peers: TestPeer[] = [];
  try {
    const bobDir = await registerOffline(first.address, "bob");
    const aliceDir = await profileDir("alice");
    const alice = await startPeer(first.address, "alice", { profileDir: aliceDir });
    peers.push(alice);
    const ids = [await alice.peer.send("bob", "one"), await alice.peer.send("bob", "two")];
    for (const id of ids) await alice.next("queued", (q) => q.id === id);
    await alice.stop();
    await first.rendezvous.stop();

    second = await withRendezvous({ dataDir });
    const bob = await startPeer(second.address, "bob", { profileDir: bobDir });
    peers.push(bob);
    const got = bob.events.filter((e) => e.type === "message");
    assert.deepEqual(got.map((m) => m.type === "message" && m.text), ["one", "two"]);
    // Alice is offline: bob's receipt goes to her mailbox.
    await waitFor("the receipt in alice's mailbox", () => mailCount(dataDir, "alice") === 1);
    assert.equal(mailCount(dataDir, "bob"), 0);
    await bob.stop();

    const aliceAgain = await startPeer(second.address, "alice", { profileDir: aliceDir });
    peers.push(aliceAgain);
    for (const id of ids) await aliceAgain.next("delivered", (d) => d.id === id);
    assert.equal(aliceAgain.events.filter((e) => e.type === "message").length, 0);
    await waitFor("alice's mailbox to be emptied", () => mailCount(dataDir, "alice") === 0);
  } finally {
    await stopAll(...peers, first.rendezvous, second?.rendezvous);
  }
});

Deno.test("mailbox: too large fails at once; a full mailbox keeps the message waiting, told", async () => {
  const { rendezvous, address } = await withRendezvous({
    mailboxLimits: { maxMailPerRecipient: 2, maxEnvelopeBytes: 2048 },
  });
  let alice: TestPeer | undefined;
  try {
    await registerOffline(address, "bob");
    alice = await startPeer(address, "alice");
    const big = await alice.peer.send("bob", "x".repeat(4000));
    const tooLarge = await alice.next("failed", (f) => f.id === big);
    assert.match(tooLarge.reason, /the mailbox takes at most 2048/);
    const queued = [await alice.peer.send("bob", "1"), await alice.peer.send("bob", "2")];
    for (const id of queued) await alice.next("queued", (q) => q.id === id);
    const third = await alice.peer.send("bob", "3");
    const full = await alice.next("notice", (n) => /mailbox is full/.test(n.text));
    assert.match(full.text, /bob's mailbox is full .*it holds 2 messages \(the limit is 2\)/);
    assert.match(full.text, /waits and is tried again in \d+ min/);
    // Waiting, not failed: the outbox still holds it for a later deposit.
    assert.equal(alice.events.some((e) => e.type === "failed" && e.id === third), false);
    assert.equal(alice.peer.markFailed(third, "test over"), "failed");
  } finally {
    await stopAll(alice, rendezvous);
  }
});

Deno.test("mailbox: deposits need a login, a valid signature and the recipient's current key", async () => {
  const clock = new ManualClock();
  const { rendezvous, address } = await withRendezvous({ now: clock.now });
  const key = await generateKeyPair("Ed25519");
  const alice = await clientNode(key);
  const bob = await loggedInClient(address, "bob");
  const stranger = await clientNode();
  const clients: MailboxClient[] = [];
  const open = async (node: typeof alice) => {
    const client = await MailboxClient.open(node, address);
    clients.push(client);
    return client;
  };
  try {
    const bobKey = bob.peerId.publicKey!.raw;
    const strangerMail = await open(stranger);
    await remoteError(
      strangerMail.deposit("bob", await testEnvelope(key, bobKey)),
      "E_NOT_AUTHORIZED",
    );
    await remoteError(strangerMail.fetch(), "E_NOT_AUTHORIZED");

    await registerAccount(alice, address, "alice", "pw", FAST);
    await login(alice, address, "alice", "pw", FAST);
    const mail = await open(alice);
    // Signed by someone else than the depositor, or not an envelope at all.
    const other = await generateKeyPair("Ed25519");
    await remoteError(
      mail.deposit("bob", await testEnvelope(other, bobKey)),
      "E_INVALID_SIGNATURE",
    );
    await remoteError(mail.deposit("bob", Uint8Array.of(1, 2, 3)), "E_INVALID_SIGNATURE");
    // For a key that is not bob's, to nobody, too large.
    const wrong = await remoteError(
      mail.deposit("bob", await testEnvelope(key, new Uint8Array(32).fill(7))),
      "E_WRONG_RECIPIENT",
    );
    assert.match(wrong.message, /not for bob's current identity key/);
    await remoteError(mail.deposit("nobody", await testEnvelope(key, bobKey)), "E_NOT_FOUND");
    await remoteError(
      mail.deposit("bob", new Uint8Array(MAX_ENVELOPE_BYTES + 1)),
      "E_TOO_LARGE",
    );

    // A good deposit; bob reads it, and after the TTL it is gone unread.
    const envelope = await testEnvelope(key, bobKey);
    const id = await mail.deposit("bob", envelope);
    assert.equal(await mail.deposit("bob", envelope), id, "a repeated deposit is stored once");
    const bobMail = await open(bob);
    const fetched = await bobMail.fetch();
    assert.deepEqual(fetched.mail.map((m) => m.id), [id]);
    assert.deepEqual(new Uint8Array(fetched.mail[0]!.envelope), envelope);
    // Alice cannot see or delete bob's mail.
    assert.deepEqual((await mail.fetch()).mail, []);
    assert.equal(await mail.acknowledge([id]), 0);
    clock.advance(31 * 24 * 60 * 60 * 1000);
    assert.deepEqual((await bobMail.fetch()).mail, []);

    await mail.deposit("bob", await testEnvelope(key, bobKey));
    const again = await bobMail.fetch();
    assert.equal(again.mail.length, 1);
    assert.equal(await bobMail.acknowledge(again.mail.map((m) => m.id)), 1);
    assert.deepEqual((await bobMail.fetch()).mail, []);
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await stopAll(alice, bob, stranger, rendezvous);
  }
});

Deno.test("mailbox: mail that does not decrypt is dropped and acknowledged; the mail after it arrives", async () => {
  const { rendezvous, address, dataDir } = await withRendezvous();
  const key = await generateKeyPair("Ed25519");
  const mallory = await clientNode(key);
  let alice: TestPeer | undefined;
  let bob: TestPeer | undefined;
  try {
    const bobDir = await profileDir("bob");
    const firstBob = await startPeer(address, "bob", { profileDir: bobDir });
    const bobKey = firstBob.profile.identity.publicKey.raw;
    await firstBob.stop();
    await registerAccount(mallory, address, "mallory", "pw", FAST);
    await login(mallory, address, "mallory", "pw", FAST);
    const mail = await MailboxClient.open(mallory, address);
    await mail.deposit("bob", await testEnvelope(key, bobKey)); // signed, but no session
    await mail.close();
    alice = await startPeer(address, "alice");
    const id = await alice.peer.send("bob", "after the junk");
    await alice.next("queued", (q) => q.id === id);

    bob = await startPeer(address, "bob", { profileDir: bobDir });
    const got = bob.events.filter((e) => e.type === "message");
    assert.deepEqual(got.map((m) => m.type === "message" && m.text), ["after the junk"]);
    await alice.next("delivered", (d) => d.id === id);
    await waitFor("bob's mailbox to be emptied", () => mailCount(dataDir, "bob") === 0);
  } finally {
    await stopAll(alice, bob, mallory, rendezvous);
  }
});

Deno.test("mailbox: another feature's mail read at login reaches its service's handler", async () => {
  const { rendezvous, address, dataDir } = await withRendezvous();
  let alice: TestPeer | undefined;
  let bob: TestPeer<{ test: ServiceFactory }> | undefined;
  try {
    const bobDir = await registerOffline(address, "bob");
    alice = await startPeer(address, "alice");
    const id = await alice.peer.sendContent("bob", "test.kind", Uint8Array.of(1, 2, 3));
    await alice.next("queued", (q) => q.id === id);

    assert.equal(mailCount(dataDir, "bob"), 1);
    const handled: string[] = [];
    // The handler exists before bob logs in: the service is part of the peer from createPeer.
    const test = () => ({
      contentHandlers: {
        "test.kind": (m: ContentMessage) => {
          assert.deepEqual([...m.payload], [1, 2, 3]);
          handled.push(m.id);
        },
      },
    });
    bob = await startPeer(address, "bob", { profileDir: bobDir, services: { test } });
    assert.deepEqual(handled, [id], "handled while logging in");
    await waitFor("bob's mailbox to be emptied", () => mailCount(dataDir, "bob") === 0);
    await alice.next("delivered", (d) => d.id === id);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});
