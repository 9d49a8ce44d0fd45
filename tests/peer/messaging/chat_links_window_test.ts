/**
 * Chat links on real Yamux streams between two nodes: a frame of envelopes and its Acks draw no
 * window update of their own (lazy_window_updates.ts), so each side's credit shrinks by what it
 * sent instead of being topped up after every frame — and more than a window's worth still flows.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Stream } from "@libp2p/interface";
import { logger } from "../../../src/log.ts";
import {
  type ChatHandlers,
  ChatLinks,
  type ChatNode,
} from "../../../src/peer/messaging/chat_links.ts";
import { createNode, type TincanNode } from "../../../src/net/node.ts";
import { Ack } from "../../../src/proto/chat.ts";

/** Yamux's initial stream window (@chainsafe/libp2p-yamux 8): a stream's credit at the start. */
const WINDOW = 256 * 1024;

/** The sender's credit on a Yamux stream (a private field of @chainsafe/libp2p-yamux 8). */
function sendCredit(stream: Stream): number {
  const fields = stream as Partial<Record<"sendWindowCapacity", unknown>>;
  assert.equal(typeof fields.sendWindowCapacity, "number", "a Yamux stream");
  return fields.sendWindowCapacity as number;
}

/** `node` as a ChatNode that dials `to`'s address, keeping every chat stream it opens or serves. */
function chatNode(node: TincanNode, to: () => TincanNode, streams: Stream[]): ChatNode {
  return {
    handle: (protocol, handler, options) =>
      node.handle(protocol, (stream, connection) => {
        streams.push(stream);
        return handler(stream, connection);
      }, options),
    async dialProtocol(_peer, protocol, options) {
      const stream = await node.dialProtocol(to().getMultiaddrs()[0]!, protocol, options);
      streams.push(stream);
      return stream;
    },
  };
}

/** Handlers that acknowledge every envelope and count the Acks that come back. */
function acknowledging() {
  let acks = 0;
  const handlers: ChatHandlers = {
    onEnvelopes: (frame) =>
      Promise.resolve(
        frame.map((bytes) => ({
          messageId: bytes.subarray(0, 2),
          result: Ack.Result.DELIVERED,
          reason: "",
        })),
      ),
    onAcks: (frame) => void (acks += frame.length),
    onLinkUp: () => {},
  };
  return { handlers, acks: () => acks };
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("chat links: envelopes and their Acks draw no window update per frame on a Yamux stream", async () => {
  const options = { agent: "test", server: false };
  const aliceNode = await createNode({
    ...options,
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  const bobNode = await createNode({
    ...options,
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
  });
  const aliceStreams: Stream[] = [];
  const bobStreams: Stream[] = [];
  const alice = new ChatLinks(chatNode(aliceNode, () => bobNode, aliceStreams), logger("test:a"));
  const bob = new ChatLinks(chatNode(bobNode, () => aliceNode, bobStreams), logger("test:b"));
  const aliceSeen = acknowledging();
  try {
    await alice.start(aliceSeen.handlers);
    await bob.start(acknowledging().handlers);
    const envelope = new Uint8Array(1000);
    for (let i = 1; i <= 20; i++) {
      await alice.send(bobNode.peerId, envelope);
      await until(`Ack ${i}`, () => aliceSeen.acks() === i);
    }
    await new Promise((r) => setTimeout(r, 100)); // an update would be back by now
    const [sent] = aliceStreams;
    const [answered] = bobStreams;
    assert.ok(
      sent !== undefined && answered !== undefined,
      "one chat stream, seen from both sides",
    );
    assert.ok(sendCredit(sent) <= WINDOW - 20 * 1000, "alice's credit shrank by her 20 frames");
    assert.ok(sendCredit(answered) < WINDOW, "bob's credit shrank by his Acks");
    // More than a window's worth still flows: the update comes once half the window is used.
    for (let i = 21; i <= 400; i++) void alice.send(bobNode.peerId, envelope);
    await until("400 Acks", () => aliceSeen.acks() === 400);
  } finally {
    await alice.close();
    await bob.close();
    await aliceNode.stop();
    await bobNode.stop();
  }
});
