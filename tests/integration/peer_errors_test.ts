/**
 * What goes wrong between peers: an unknown recipient, hostile or damaged frames on a raw chat
 * stream, a resent envelope, and two peers starting their first sessions at the same moment.
 */
import { PROTOCOL } from "../../src/protocol/ids.ts";
import assert from "node:assert/strict";
import { fromHex } from "../../src/crypto/bytes.ts";
import { CHAT_FRAMES } from "../../src/peer/messaging/chat_links.ts";
import { FramedStream } from "../../src/net/framed.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { Ack, ChatFrame } from "../../src/proto/chat.ts";
import { CHAT_FRAME_VERSION } from "../../src/protocol/limits.ts";
import { OutboxStore } from "../../src/peer/store/outbox.ts";
import { clientNode, stopAll, within, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

type ChatStream = FramedStream<ChatFrame, ChatFrame>;

/** Opens a raw chat stream from `node` to the peer `to` (dialling its listen address). */
async function rawChat(node: TincanNode, to: TestPeer): Promise<ChatStream> {
  const stream = await node.dialProtocol(to.peer.node.getMultiaddrs(), PROTOCOL.chat);
  return new FramedStream(stream, ChatFrame, ChatFrame, { ...CHAT_FRAMES, readTimeoutMs: 10_000 });
}

/** Sends `envelope` on `chat` and returns the acknowledgement that answers it. */
async function exchange(chat: ChatStream, envelope: Uint8Array): Promise<Ack> {
  await chat.write({ version: CHAT_FRAME_VERSION, envelopes: [envelope], acks: [] });
  const frame = await within("an acknowledgement", chat.read());
  assert.equal(frame.acks.length, 1, "the answer is an acknowledgement");
  return frame.acks[0]!;
}

/** The envelope alice stored for message `id`. */
function storedEnvelope(alice: TestPeer, id: string): Uint8Array {
  const envelope = new OutboxStore(alice.profile.db).get(fromHex(id))?.envelope;
  assert.ok(envelope, `alice kept the envelope of ${id}`);
  return envelope;
}

/** Alice sends `text` to bob and both see it through. */
async function roundTrip(from: TestPeer, to: TestPeer, text: string): Promise<string> {
  const id = await from.peer.send(to.peer.username, text);
  assert.equal((await to.next("message", (m) => m.id === id)).text, text);
  await from.next("delivered", (d) => d.id === id);
  return id;
}

Deno.test("sending to a user the rendezvous does not know fails with a clear reason", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  try {
    const id = await alice.peer.send("nobody", "is anyone there?");
    const failed = await alice.next("failed", (f) => f.id === id);
    assert.equal(failed.to, "nobody");
    assert.match(failed.reason, /no user nobody/);
    assert.equal(new OutboxStore(alice.profile.db).get(fromHex(id))?.status, "failed");
  } finally {
    await stopAll(alice, rendezvous);
  }
});

Deno.test("hostile frames on a raw chat stream are rejected and the peer keeps working", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  const mallory = await clientNode();
  try {
    const id = await roundTrip(alice, bob, "the genuine article");
    const genuine = storedEnvelope(alice, id);

    const chat = await rawChat(mallory, bob);
    const garbage = crypto.getRandomValues(new Uint8Array(300));
    const onGarbage = await exchange(chat, garbage);
    assert.equal(onGarbage.result, Ack.Result.REJECTED);
    assert.notEqual(onGarbage.reason, "");

    // Alice's own envelope, but from mallory's connection: the signer is not the Noise peer.
    const replayed = await exchange(chat, genuine);
    assert.equal(replayed.result, Ack.Result.REJECTED);

    for (const at of [3, Math.floor(genuine.length / 2), genuine.length - 1]) {
      const flipped = genuine.slice();
      flipped[at]! ^= 0x01;
      assert.equal((await exchange(chat, flipped)).result, Ack.Result.REJECTED, `bit at ${at}`);
    }

    // A length prefix far over the frame limit: bob resets the stream.
    const oversize = await rawChat(mallory, bob);
    await oversize.stream.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f));
    await assert.rejects(within("the reset", oversize.read()));

    // A frame that is not a ChatFrame at all.
    const malformed = await rawChat(mallory, bob);
    await malformed.stream.send(Uint8Array.of(4, 0xff, 0xff, 0xff, 0xff));
    await assert.rejects(within("the reset", malformed.read()));

    assert.equal(bob.events.filter((e) => e.type === "message").length, 1);
    await roundTrip(alice, bob, "still there?");
    await roundTrip(bob, alice, "still here");
    assert.deepEqual((await bob.peer.history("alice", 10)).map((h) => h.text), [
      "the genuine article",
      "still there?",
      "still here",
    ]);
  } finally {
    await stopAll(alice, bob, mallory, rendezvous);
  }
});

Deno.test("a tampered or resent envelope on the sender's own connection", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  try {
    const first = await roundTrip(alice, bob, "say it once");
    const envelope = storedEnvelope(alice, first);
    const chat = await rawChat(alice.peer.node, bob);

    const flipped = envelope.slice();
    flipped[flipped.length - 20]! ^= 0x80;
    const onFlipped = await exchange(chat, flipped);
    assert.equal(onFlipped.result, Ack.Result.REJECTED);

    for (let i = 0; i < 2; i++) {
      const again = await exchange(chat, envelope);
      assert.equal(again.result, Ack.Result.DELIVERED, "a resend is acknowledged again");
      assert.deepEqual(new Uint8Array(again.messageId), fromHex(first));
    }
    await chat.close();

    const second = await roundTrip(alice, bob, "and then something new");
    const shown = bob.events.filter((e) => e.type === "message").map((e) => e.id);
    assert.deepEqual(shown, [first, second]);
    assert.deepEqual((await bob.peer.history("alice", 10)).map((h) => h.text), [
      "say it once",
      "and then something new",
    ]);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("simultaneous first messages: both arrive, and both ways keep working", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  try {
    await alice.peer.follow(["bob"]); // presence is by interest: strangers hear nothing
    await alice.next("presence", (p) => p.username === "bob" && p.online);
    const [toBob, toAlice] = await Promise.all([
      alice.peer.send("bob", "hi bob, first!"),
      bob.peer.send("alice", "hi alice, first!"),
    ]);
    assert.equal((await bob.next("message", (m) => m.id === toBob)).text, "hi bob, first!");
    assert.equal((await alice.next("message", (m) => m.id === toAlice)).text, "hi alice, first!");
    await alice.next("delivered", (d) => d.id === toBob);
    await bob.next("delivered", (d) => d.id === toAlice);

    // Alternating, then both at once in bursts: every message arrives, none fails.
    for (let i = 0; i < 3; i++) {
      await roundTrip(alice, bob, `ping ${i}`);
      await roundTrip(bob, alice, `pong ${i}`);
    }
    const burst = 10;
    const [fromAliceIds, fromBobIds] = await Promise.all([
      Promise.all(Array.from({ length: burst }, (_, i) => alice.peer.send("bob", `alice ${i}`))),
      Promise.all(Array.from({ length: burst }, (_, i) => bob.peer.send("alice", `bob ${i}`))),
    ]);
    for (const id of fromAliceIds) await alice.next("delivered", (d) => d.id === id);
    for (const id of fromBobIds) await bob.next("delivered", (d) => d.id === id);
    const failures = [...alice.events, ...bob.events].filter((e) => e.type === "failed");
    assert.deepEqual(failures, []);
    const fromAlice = bob.events.filter((e) => e.type === "message").map((e) => e.text);
    const fromBob = alice.events.filter((e) => e.type === "message").map((e) => e.text);
    assert.equal(new Set(fromAlice).size, fromAlice.length, "bob saw each message once");
    assert.equal(new Set(fromBob).size, fromBob.length, "alice saw each message once");
    assert.equal(fromAlice.length, 1 + 3 + burst);
    assert.equal(fromBob.length, 1 + 3 + burst);

    await roundTrip(alice, bob, "after all that");
    await roundTrip(bob, alice, "still in sync");
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});
