import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Connection, PeerId, StreamHandler } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { streamPair } from "@libp2p/utils";
import { multiaddr } from "@multiformats/multiaddr";
import { logger } from "../../../src/log.ts";
import {
  CHAT_FRAMES,
  type ChatHandlers,
  ChatLinks,
  type ChatNode,
} from "../../../src/peer/messaging/chat_links.ts";
import { FramedStream } from "../../../src/net/framed.ts";
import { Ack, ChatFrame } from "../../../src/proto/chat.ts";
import {
  CHAT_FRAME_VERSION,
  MAX_ACK_REASON_LENGTH,
  MAX_CHAT_FRAME_BYTES,
  MAX_ENVELOPES_PER_FRAME,
} from "../../../src/protocol/limits.ts";

/** The address a test connection comes from: not relayed. */
const DIRECT = multiaddr("/ip4/127.0.0.1/tcp/1");

/** Nodes that reach each other through in-memory stream pairs, from `remoteAddr`. */
function network(remoteAddr = DIRECT) {
  const served = new Map<string, StreamHandler>();
  return (me: PeerId, carrier: "direct" | "relayed" = "direct"): ChatNode => ({
    carrier: () => carrier,
    handle(_protocol, handler) {
      served.set(me.toString(), handler);
      return Promise.resolve();
    },
    async dialProtocol(peer) {
      const handler = served.get(peer.toString());
      if (handler === undefined) throw new Error(`${peer} is unreachable`);
      const [outbound, inbound] = await streamPair();
      // The far side sees who dialled it, as Noise would tell it, over a direct connection.
      void handler(inbound, { remotePeer: me, remoteAddr } as Connection);
      return outbound;
    },
  });
}

async function peerId(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
}

/** Handlers that record what arrives and acknowledge every envelope. */
function recorder() {
  const envelopes: { bytes: number[]; from: string }[] = [];
  const acks: { id: number[]; from: string }[] = [];
  const linksUp: string[] = [];
  /** Envelopes in each frame that arrived, and Acks in each frame of Acks. */
  const frames: number[] = [];
  const ackFrames: number[] = [];
  const handlers: ChatHandlers = {
    onEnvelopes(frame, from) {
      frames.push(frame.length);
      for (const bytes of frame) envelopes.push({ bytes: [...bytes], from: from.toString() });
      return Promise.resolve(frame.map((bytes) => ({
        messageId: bytes.subarray(0, 2),
        result: Ack.Result.DELIVERED,
        reason: "",
      })));
    },
    onAcks(frame, from) {
      ackFrames.push(frame.length);
      for (const ack of frame) acks.push({ id: [...ack.messageId], from: from.toString() });
    },
    onLinkUp(peer) {
      linksUp.push(peer.toString());
    },
  };
  return { handlers, envelopes, acks, linksUp, frames, ackFrames };
}

/** Alice's and bob's links on one in-memory network, not started. */
async function unstartedPair() {
  const node = network();
  const [a, b] = [await peerId(), await peerId()];
  const alice = new ChatLinks(node(a), logger("test:alice"));
  const bob = new ChatLinks(node(b), logger("test:bob"));
  return { a, b, alice, bob };
}

/** Alice's and bob's links on one in-memory network, started with recorders. */
async function linkedPair() {
  const { a, b, alice, bob } = await unstartedPair();
  const aliceSeen = recorder();
  const bobSeen = recorder();
  await alice.start(aliceSeen.handlers);
  await bob.start(bobSeen.handlers);
  return { a, b, alice, bob, aliceSeen, bobSeen };
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("chat links: an envelope crosses one stream and its Ack comes back on it", async () => {
  const { a, b, alice, bob, aliceSeen, bobSeen } = await linkedPair();
  try {
    const token = await alice.send(b, Uint8Array.of(1, 2, 3));
    await until("bob's ack", () => aliceSeen.acks.length === 1);
    assert.deepEqual(bobSeen.envelopes, [{ bytes: [1, 2, 3], from: a.toString() }]);
    assert.deepEqual(aliceSeen.acks, [{ id: [1, 2], from: b.toString() }]);
    assert.equal(alice.current(b), token, "the link stays open for the next envelope");
    assert.equal(await alice.send(b, Uint8Array.of(4, 5)), token);
    await until("the second ack", () => aliceSeen.acks.length === 2);
    await until(
      "both links up",
      () => aliceSeen.linksUp.length === 1 && bobSeen.linksUp.length === 1,
    );
    assert.deepEqual(aliceSeen.linksUp, [b.toString()]);
    assert.deepEqual(bobSeen.linksUp, [a.toString()]);
  } finally {
    await alice.close();
    await bob.close();
  }
});

Deno.test("chat links: the answering side sends back over the stream it was dialled on", async () => {
  const { a, b, alice, bob, aliceSeen, bobSeen } = await linkedPair();
  try {
    await alice.send(b, Uint8Array.of(1));
    await until("bob adopted the link", () => bob.current(a) !== undefined);
    await bob.send(a, Uint8Array.of(9, 9));
    await until("alice got bob's envelope", () => aliceSeen.envelopes.length === 1);
    assert.deepEqual(aliceSeen.envelopes, [{ bytes: [9, 9], from: b.toString() }]);
    await until("bob's ack from alice", () => bobSeen.acks.length === 1);
  } finally {
    await alice.close();
    await bob.close();
  }
});

Deno.test("chat links: sending to an unreachable peer throws and leaves no link", async () => {
  const node = network();
  const [a, b] = [await peerId(), await peerId()];
  const alice = new ChatLinks(node(a), logger("test:alice"));
  await alice.start(recorder().handlers);
  try {
    await assert.rejects(alice.send(b, Uint8Array.of(1)), /unreachable/);
    assert.equal(alice.current(b), undefined);
  } finally {
    await alice.close();
  }
});

Deno.test("chat links: a link on a relayed connection says so, both ways, and its close is told", async () => {
  const relayed = multiaddr(
    "/ip6/3fff::10/tcp/4001/p2p/12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK/p2p-circuit",
  );
  const node = network(relayed);
  const [a, b] = [await peerId(), await peerId()];
  const alice = new ChatLinks(node(a, "relayed"), logger("test:alice"));
  const bob = new ChatLinks(node(b, "relayed"), logger("test:bob"));
  const vias: string[] = [];
  const down: string[] = [];
  const seen = recorder();
  await alice.start({ ...seen.handlers, onLinkDown: (peer) => down.push(peer.toString()) });
  await bob.start({
    ...seen.handlers,
    onEnvelopes(frame, from, via) {
      vias.push(via);
      return seen.handlers.onEnvelopes(frame, from, via);
    },
  });
  try {
    const token = await alice.send(b, Uint8Array.of(1, 2, 3));
    assert.equal(token.via, "relayed");
    await until("bob's envelope", () => vias.length === 1);
    assert.deepEqual(vias, ["relayed"]);
  } finally {
    await bob.close();
    await until("alice hears her link is down", () => down.length === 1);
    assert.deepEqual(down, [b.toString()]);
    await alice.close();
  }
});

Deno.test("chat links: envelopes sent while a frame is written go in one frame, answered by one frame of Acks", async () => {
  const { b, alice, bob, aliceSeen, bobSeen } = await linkedPair();
  try {
    await alice.send(b, Uint8Array.of(0, 0));
    await until("the first ack", () => aliceSeen.acks.length === 1);
    const sends = Array.from({ length: 10 }, (_, i) => alice.send(b, Uint8Array.of(1, i)));
    await Promise.all(sends);
    await until("ten more acks", () => aliceSeen.acks.length === 11);
    assert.deepEqual(bobSeen.frames, [1, 10]);
    assert.deepEqual(aliceSeen.ackFrames, [1, 10], "one Ack frame answers each frame");
    assert.deepEqual(
      aliceSeen.acks.map((a) => a.id),
      [[0, 0], ...Array.from({ length: 10 }, (_, i) => [1, i])],
      "in the order sent",
    );
  } finally {
    await alice.close();
    await bob.close();
  }
});

Deno.test("chat links: a reply sent from the handler of a frame goes in one frame with its Acks", async () => {
  const { b, alice, bob } = await unstartedPair();
  const aliceSeen = recorder();
  const bobSeen = recorder();
  const frames: { acks: number; envelopes: number }[] = [];
  await alice.start({
    ...aliceSeen.handlers,
    onAcks: (acks, from) => {
      frames.push({ acks: acks.length, envelopes: 0 });
      aliceSeen.handlers.onAcks(acks, from);
    },
    onEnvelopes: (envelopes, from, via) => {
      frames.at(-1)!.envelopes = envelopes.length; // its Acks were applied first
      return aliceSeen.handlers.onEnvelopes(envelopes, from, via);
    },
  });
  await bob.start({
    ...bobSeen.handlers,
    onEnvelopes: async (envelopes, from, via) => {
      const acks = await bobSeen.handlers.onEnvelopes(envelopes, from, via);
      // As a message event does: the reply is sent once the frame is stored, without waiting.
      for (const e of envelopes) void bob.send(from, Uint8Array.of(9, ...e));
      return acks;
    },
  });
  try {
    await alice.send(b, Uint8Array.of(1));
    await until("bob's reply", () => aliceSeen.envelopes.length === 1);
    assert.deepEqual(aliceSeen.acks, [{ id: [1], from: b.toString() }]);
    assert.deepEqual(aliceSeen.envelopes, [{ bytes: [9, 1], from: b.toString() }]);
    assert.deepEqual(frames, [{ acks: 1, envelopes: 1 }], "the Ack and the reply in one frame");
    await until("alice's Ack of the reply", () => bobSeen.acks.length === 1);
  } finally {
    await alice.close();
    await bob.close();
  }
});

Deno.test("chat links: an Ack with no reply to go with it is sent alone, in order", async () => {
  const { b, alice, bob, aliceSeen } = await linkedPair();
  try {
    for (let i = 0; i < 3; i++) {
      await alice.send(b, Uint8Array.of(i, i));
      await until(`ack ${i}`, () => aliceSeen.acks.length === i + 1);
    }
    assert.deepEqual(aliceSeen.acks.map((x) => x.id), [[0, 0], [1, 1], [2, 2]]);
    assert.deepEqual(aliceSeen.ackFrames, [1, 1, 1]);
    assert.deepEqual(aliceSeen.envelopes, []);
  } finally {
    await alice.close();
    await bob.close();
  }
});

/** A raw chat stream from `node` to `to`'s links, reading frames up to `maxFrameBytes`. */
async function rawStream(node: ChatNode, to: PeerId, maxFrameBytes = MAX_CHAT_FRAME_BYTES * 2) {
  const stream = await node.dialProtocol(to, "/tincan/chat/1.0.0", {
    signal: AbortSignal.timeout(5000),
    runOnLimitedConnection: true,
  });
  return new FramedStream(stream, ChatFrame, ChatFrame, { ...CHAT_FRAMES, maxFrameBytes });
}

/** Bob's links, and a raw stream to them from mallory. */
async function bobAndRawStream() {
  const node = network();
  const [m, b] = [await peerId(), await peerId()];
  const bob = new ChatLinks(node(b), logger("test:bob"));
  const bobSeen = recorder();
  await bob.start(bobSeen.handlers);
  return { bob, bobSeen, raw: await rawStream(node(m), b) };
}

Deno.test("chat links: a frame with more than MAX_ENVELOPES_PER_FRAME envelopes is refused whole, unanswered", async () => {
  const { bob, bobSeen, raw } = await bobAndRawStream();
  try {
    const envelopes = Array.from({ length: MAX_ENVELOPES_PER_FRAME + 1 }, () => new Uint8Array(8));
    await raw.write({ version: CHAT_FRAME_VERSION, envelopes, acks: [] });
    await assert.rejects(raw.read());
    assert.deepEqual(bobSeen.envelopes, [], "nothing in it was processed, so nothing acknowledged");
  } finally {
    await bob.close();
  }
});

Deno.test("chat links: a frame over MAX_CHAT_FRAME_BYTES is refused whole, unanswered", async () => {
  const { bob, bobSeen, raw } = await bobAndRawStream();
  try {
    const half = new Uint8Array(Math.ceil(MAX_CHAT_FRAME_BYTES / 2));
    await raw.write({ version: CHAT_FRAME_VERSION, envelopes: [half, half], acks: [] });
    await assert.rejects(raw.read());
    assert.deepEqual(bobSeen.envelopes, []);
  } finally {
    await bob.close();
  }
});

Deno.test("chat links: a frame of the old single-envelope format (or any other version) is refused", async () => {
  const oldFormat = Uint8Array.of(5, 0x0a, 3, 1, 2, 3); // length 5; field 1 = one envelope [1, 2, 3]
  const nextVersion = { version: CHAT_FRAME_VERSION + 1, envelopes: [Uint8Array.of(1)], acks: [] };
  for (
    const send of [(raw: Raw) => raw.stream.send(oldFormat), (raw: Raw) => raw.write(nextVersion)]
  ) {
    const { bob, bobSeen, raw } = await bobAndRawStream();
    try {
      await send(raw);
      await assert.rejects(raw.read());
      assert.deepEqual(bobSeen.envelopes, []);
    } finally {
      await bob.close();
    }
  }
});

type Raw = Awaited<ReturnType<typeof rawStream>>;

Deno.test("chat links: an Ack's reason is cut to MAX_ACK_REASON_LENGTH, so a frame of Acks stays in bounds", async () => {
  const { b, alice, bob } = await unstartedPair();
  const aliceSeen = recorder();
  const reasons: string[] = [];
  await alice.start({
    ...aliceSeen.handlers,
    onAcks: (acks) => reasons.push(...acks.map((x) => x.reason)),
  });
  await bob.start({
    ...recorder().handlers,
    onEnvelopes: (frame) =>
      Promise.resolve(frame.map((bytes) => ({
        messageId: bytes,
        result: Ack.Result.REJECTED,
        reason: "x".repeat(5000),
      }))),
  });
  try {
    await alice.send(b, Uint8Array.of(7));
    await until("the refusal", () => reasons.length === 1);
    assert.equal(reasons[0], "x".repeat(MAX_ACK_REASON_LENGTH));
  } finally {
    await alice.close();
    await bob.close();
  }
});
