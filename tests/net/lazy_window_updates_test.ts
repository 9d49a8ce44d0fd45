/**
 * lazyWindowUpdates on a real Yamux stream between two nodes: small frames draw no window update
 * until half the receive window is used (the sender's credit shrinks instead of being topped up
 * after every frame), more than a whole window still flows (the update comes at half), and a
 * stream left as it is gets its update after every frame; a stream given a larger window grants
 * it to the sender at once, and not past the muxer's maximum.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Stream } from "@libp2p/interface";
import { createNode, type TincanNode } from "../../src/net/node.ts";
import { lazyWindowUpdates } from "../../src/net/lazy_window_updates.ts";

const PROTOCOL = "/tincan-test/lazy-window/1.0.0";
/** Yamux's initial stream window (@chainsafe/libp2p-yamux 8): a stream's credit at the start. */
const WINDOW = 256 * 1024;

/** A node, listening or not; a server's streams have a 256 KiB maximum window. */
async function node(listen: boolean, server = listen): Promise<TincanNode> {
  return await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: listen ? ["/ip4/127.0.0.1/tcp/0"] : [],
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

/**
 * A stream from a client to a listening node that counts what it receives, lazy or not, with a
 * window or not; the listening node is a server (its windows capped) unless `server` is false.
 */
async function pair(lazy: boolean, windowBytes?: number, server = true) {
  const listener = await node(true, server);
  const client = await node(false);
  let received = 0;
  let changed: boolean | undefined;
  await listener.handle(PROTOCOL, (stream: Stream) => {
    if (lazy) changed = lazyWindowUpdates(stream, windowBytes);
    stream.addEventListener("message", (event) => received += event.data.byteLength);
  });
  const stream = await client.dialProtocol(listener.getMultiaddrs()[0]!, PROTOCOL);
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
    await listener.stop();
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

Deno.test("lazy window updates: a larger window is granted to the sender at once", async () => {
  const p = await pair(true, 4 * WINDOW, false);
  try {
    await p.send(1, 1);
    await until(() => sendCredit(p.stream) === 4 * WINDOW - 1, "the credit is four windows");
    await p.send(6, WINDOW); // the update comes at half the larger window
    await until(() => sendCredit(p.stream) >= 2 * WINDOW, "the credit is topped up");
  } finally {
    await p.stop();
  }
});

Deno.test("lazy window updates: a window is capped at the muxer's maximum", async () => {
  const client = await pair(true, 2 ** 31, false);
  const server = await pair(true, 4 * WINDOW); // a server's maximum is 256 KiB
  try {
    await client.send(1, 1);
    await until(() => sendCredit(client.stream) === 16 * 1024 * 1024 - 1, "the credit is 16 MiB");
    await server.send(1, 1);
    await new Promise((resolve) => setTimeout(resolve, 100)); // an update would be back by now
    assert.equal(sendCredit(server.stream), WINDOW - 1, "no more than a server's maximum");
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("lazy window updates: a window that is not a whole number is refused", () => {
  const notAStream = {} as Stream;
  assert.throws(() => lazyWindowUpdates(notAStream, 1.5), RangeError);
});
