import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createNode, type TincanNode } from "../../src/net/node.ts";

async function node(server: boolean): Promise<TincanNode> {
  return await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    agent: server ? "test server" : "test client",
    server,
  });
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("a server does not identify its clients and forgets them when they leave", async () => {
  const server = await node(true);
  const client = await node(false);
  try {
    await client.dial(server.getMultiaddrs()[0]!);
    // The client identifies the server (it learns its observed address from it) …
    await until(
      async () => (await client.peerStore.get(server.peerId)).protocols.length > 0,
      "the client has identified the server",
    );
    // … but the server has not asked for the client's identify: not its protocols (only the one
    // the client spoke to it), not its agent.
    const seen = await server.peerStore.get(client.peerId).catch(() => undefined);
    assert.ok(!seen?.protocols.includes("/ipfs/ping/1.0.0"), `${seen?.protocols}`);
    assert.equal(seen?.metadata.get("AgentVersion"), undefined);
    // What the server did store (here: a tag, as the relay's reservations do) goes with the peer.
    await server.peerStore.merge(client.peerId, { tags: { "test-tag": { value: 1 } } });
    await client.hangUp(server.peerId);
    await until(async () => !(await server.peerStore.has(client.peerId)), "the server forgot it");
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("a peer identifies the nodes it connects to, and keeps them after they leave", async () => {
  const a = await node(false);
  const b = await node(false);
  try {
    await a.dial(b.getMultiaddrs()[0]!);
    await until(
      async () => (await b.peerStore.get(a.peerId).catch(() => undefined))?.protocols.length! > 0,
      "b has identified a",
    );
    await a.hangUp(b.peerId);
    await until(() => Promise.resolve(b.getConnections(a.peerId).length === 0), "it is gone");
    assert.ok(await b.peerStore.has(a.peerId));
  } finally {
    await a.stop();
    await b.stop();
  }
});

Deno.test("a connection silent for socketInactivityTimeoutMs is closed", async () => {
  const server = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    agent: "test server",
    server: true,
    limits: { socketInactivityTimeoutMs: 300 },
  });
  const client = await node(false);
  try {
    await client.dial(server.getMultiaddrs()[0]!);
    await until(
      () => Promise.resolve(server.getConnections(client.peerId).length === 1),
      "the server has the connection",
    );
    await until(
      () => Promise.resolve(server.getConnections(client.peerId).length === 0),
      "the silent connection is closed",
    );
  } finally {
    await client.stop();
    await server.stop();
  }
});
