/**
 * lazyWindowUpdates on a real Yamux stream between two nodes: small frames draw no window update
 * until half the receive window is used (the sender's credit shrinks instead of being topped up
 * after every frame), more than a whole window still flows (the update comes at half), and a
 * stream left as it is gets its update after every frame.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Stream } from "@libp2p/interface";
import { createNode, type TincanNode } from "../../src/net/node.ts";
import { lazyWindowUpdates } from "../../src/net/lazy_window_updates.ts";

const PROTOCOL = "/tincan-test/lazy-window/1.0.0";
/** Yamux's initial stream window (@chainsafe/libp2p-yamux 8): a stream's credit at the start. */
const WINDOW = 256 * 1024;

async function node(server: boolean): Promise<TincanNode> {
  return await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: server ? ["/ip4/127.0.0.1/tcp/0"] : [],
    agent: "test",
    server,
  });
}

/** The sender's credit on a Yamux stream (a private field of @chainsafe/libp2p-yamux 8). */
function sendCredit(stream: Stream): number {
  const fields = stream as Partial<Record<"sendWindowCapacity", unknown>>;
  assert.equal(typeof fields.sendWindowCapacity, "number", "a Yamux stream");
  return fields.sendWindowCapacity as number;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A stream from a client to a server that counts what it receives, lazy or not. */
async function pair(lazy: boolean) {
  const server = await node(true);
  const client = await node(false);
  let received = 0;
  let changed: boolean | undefined;
  await server.handle(PROTOCOL, (stream: Stream) => {
    if (lazy) changed = lazyWindowUpdates(stream);
    stream.addEventListener("message", (event) => received += event.data.byteLength);
  });
  const stream = await client.dialProtocol(server.getMultiaddrs()[0]!, PROTOCOL);
  const send = async (frames: number, bytes: number) => {
    const before = received;
    for (let i = 0; i < frames; i++) {
      if (!stream.send(new Uint8Array(bytes))) {
        await new Promise((resolve) => stream.addEventListener("drain", resolve, { once: true }));
      }
    }
    await until(() => received - before === frames * bytes, `${frames * bytes} bytes arrived`);
  };
  const stop = async () => {
    stream.abort(new Error("test over"));
    await client.stop();
    await server.stop();
  };
  return { stream, send, stop, changed: () => changed };
}

Deno.test("lazy window updates: small frames draw no update until half the window is used", async () => {
  const p = await pair(true);
  try {
    await p.send(1, 1); // the stream is open on both sides
    assert.equal(p.changed(), true, "a Yamux stream");
    await p.send(100, 10);
    await new Promise((resolve) => setTimeout(resolve, 100)); // an update would be back by now
    assert.equal(sendCredit(p.stream), WINDOW - 1 - 1000, "no update for 1,001 bytes");
    await p.send(3, WINDOW); // three windows' worth flows: the update comes at half
    await until(() => sendCredit(p.stream) >= WINDOW / 2, "the credit is topped up");
  } finally {
    await p.stop();
  }
});

Deno.test("lazy window updates: a stream left as it is gets an update after every frame", async () => {
  const p = await pair(false);
  try {
    await p.send(100, 10);
    await until(() => sendCredit(p.stream) === WINDOW, "the credit is back to a full window");
  } finally {
    await p.stop();
  }
});
