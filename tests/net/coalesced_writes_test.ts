import assert from "node:assert/strict";
import net from "node:net";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { MultiaddrConnection } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";
import {
  coalesceSendData,
  coalescingUpgrader,
  MAX_COALESCED_BYTES,
} from "../../src/net/coalesced_writes.ts";
import { createNode } from "../../src/net/node.ts";

/** A stand-in raw connection that records what its sendData was given. */
function recorder() {
  const sent: Uint8Array[][] = [];
  return {
    sent,
    sendData(data: Uint8ArrayList) {
      sent.push([...data]);
      return { sentBytes: data.byteLength, canSendMore: true };
    },
  };
}

Deno.test("coalesceSendData passes several buffers on as one, with the same bytes", () => {
  const connection = recorder();
  coalesceSendData(connection);
  const result = connection.sendData(
    new Uint8ArrayList(Uint8Array.of(0, 3), Uint8Array.of(1, 2, 3), Uint8Array.of(4)),
  );
  assert.deepEqual(result, { sentBytes: 6, canSendMore: true });
  assert.deepEqual(connection.sent, [[Uint8Array.of(0, 3, 1, 2, 3, 4)]]);
});

Deno.test("coalesceSendData passes a single buffer on as it is", () => {
  const connection = recorder();
  coalesceSendData(connection);
  const one = Uint8Array.of(7, 8, 9);
  connection.sendData(new Uint8ArrayList(one));
  assert.equal(connection.sent[0]![0], one);
});

Deno.test("coalesceSendData passes a large send on as it is, without a copy", () => {
  const connection = recorder();
  coalesceSendData(connection);
  const head = Uint8Array.of(0, 1);
  const body = new Uint8Array(MAX_COALESCED_BYTES);
  connection.sendData(new Uint8ArrayList(head, body));
  assert.equal(connection.sent[0]!.length, 2);
  assert.equal(connection.sent[0]![0], head);
  assert.equal(connection.sent[0]![1], body);
});

Deno.test("coalesceSendData leaves a connection without sendData alone", () => {
  const connection = { other: 1 };
  coalesceSendData(connection);
  assert.deepEqual(connection, { other: 1 });
});

Deno.test("coalescingUpgrader coalesces what it upgrades and passes everything else through", async () => {
  const upgraded: unknown[] = [];
  const original = {
    marker: "kept",
    upgradeInbound(maConn: MultiaddrConnection) {
      upgraded.push(maConn);
      return Promise.resolve();
    },
    upgradeOutbound(maConn: MultiaddrConnection) {
      upgraded.push(maConn);
      return Promise.resolve();
    },
    createInboundAbortSignal(signal: AbortSignal) {
      return this === original ? signal : undefined;
    },
  };
  const upgrader = coalescingUpgrader(original);
  const connection = recorder();
  const before = connection.sendData;
  await upgrader.upgradeInbound(connection as Partial<MultiaddrConnection> as MultiaddrConnection);
  assert.equal(upgraded[0], connection);
  assert.notEqual(connection.sendData, before, "sendData was wrapped");
  const signal = new AbortController().signal;
  assert.equal(upgrader.createInboundAbortSignal(signal), signal, "bound to the original");
  assert.equal(upgrader.marker, "kept");
});

Deno.test("a node's connection never writes a Noise frame's 2-byte length on its own", async () => {
  const writes: number[] = [];
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, chunk: Uint8Array, ...rest: never[]) {
    writes.push(chunk.byteLength);
    return write.call(this, chunk, ...rest);
  } as typeof write;
  const server = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    agent: "test server",
    server: true,
  });
  const client = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
    agent: "test client",
  });
  try {
    await client.services.ping.ping(server.getMultiaddrs()[0]!);
    assert.ok(writes.length > 0, "the connection wrote");
    assert.ok(!writes.includes(2), `writes of ${writes.join(", ")} bytes`);
  } finally {
    net.Socket.prototype.write = write;
    await client.stop();
    await server.stop();
  }
});
