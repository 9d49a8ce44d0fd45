import assert from "node:assert/strict";
import type { Stream } from "@libp2p/interface";
import { lpStream, streamPair } from "@libp2p/utils";
import { ProtocolError } from "../../src/errors.ts";
import { FramedStream, type FrameLimits, READ_AHEAD_BYTES } from "../../src/net/framed.ts";
import { presenceRequest } from "../../src/peer/clients/presence.ts";
import {
  AccountRequest,
  PresenceEvent,
  PresenceRequest,
  Status,
} from "../../src/proto/services.ts";

const LIMITS: FrameLimits = { maxFrameBytes: 1024, readTimeoutMs: 2000, maxFrames: 10 };

/** A FramedStream pair: the client writes AccountRequests, the server reads them. */
async function accountPair(limits: FrameLimits = LIMITS) {
  const [outbound, inbound] = await streamPair();
  const client = new FramedStream(outbound, PresenceEvent, AccountRequest, limits);
  const server = new FramedStream(inbound, AccountRequest, PresenceEvent, limits);
  return { outbound, inbound, client, server };
}

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return new Uint8Array(bytes);
}

async function rejectsWithProtocolError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${err}`);
    assert.equal(err.name, "ProtocolError");
    assert.match(err.message, message);
    return true;
  });
}

function closeAll(...streams: Stream[]): void {
  for (const stream of streams) stream.abort(new Error("test over"));
}

Deno.test("FramedStream round-trips messages in both directions", async () => {
  const { outbound, inbound, client, server } = await accountPair();
  try {
    const request: AccountRequest = {
      type: AccountRequest.Type.LOGIN_START,
      username: "alice",
      opaqueMessage: "x".repeat(500),
    };
    await client.write(request);
    await client.write({
      type: AccountRequest.Type.LOGIN_FINISH,
      username: "alice",
      opaqueMessage: "",
    });
    assert.deepEqual(await server.read(), request);
    assert.equal((await server.read()).type, AccountRequest.Type.LOGIN_FINISH);

    const event: PresenceEvent = {
      status: Status.E_THROTTLED,
      statusText: "slow down",
      username: "bob",
      peerId: "12D3KooW",
      online: true,
      at: 1_700_000_000_000n,
      type: PresenceEvent.Type.CHANGE,
      away: "",
      users: [],
      nextCursor: "",
    };
    await server.write(event);
    assert.deepEqual(await client.read(), event);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("FramedStream reads an empty message (a zero-length frame)", async () => {
  const [outbound, inbound] = await streamPair();
  try {
    const client = new FramedStream(outbound, PresenceEvent, PresenceRequest, LIMITS);
    const server = new FramedStream(inbound, PresenceRequest, PresenceEvent, LIMITS);
    await client.write(presenceRequest({ type: PresenceRequest.Type.FOLLOW }));
    assert.deepEqual(await server.read(), {
      type: PresenceRequest.Type.FOLLOW,
      usernames: [],
      cursor: "",
      limit: 0,
      away: "",
      peerId: "",
    });
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("FramedStream accepts a frame of exactly maxFrameBytes", async () => {
  const { outbound, inbound, client, server } = await accountPair();
  try {
    // field 2 (username): tag 1 byte, length varint 2 bytes, then the string
    const username = "u".repeat(LIMITS.maxFrameBytes - 3);
    assert.equal(
      AccountRequest.encode({
        type: AccountRequest.Type.REGISTER_START,
        username,
        opaqueMessage: "",
      }).length,
      1024,
    );
    await client.write({ type: AccountRequest.Type.REGISTER_START, username, opaqueMessage: "" });
    assert.equal((await server.read()).username, username);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("an oversize frame is a ProtocolError", async () => {
  const { outbound, inbound, client, server } = await accountPair();
  try {
    const username = "u".repeat(LIMITS.maxFrameBytes - 2);
    await client.write({ type: AccountRequest.Type.REGISTER_START, username, opaqueMessage: "" });
    await rejectsWithProtocolError(server.read(), /bad frame/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("a length prefix over the limit is refused before the body arrives", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    outbound.send(varint(LIMITS.maxFrameBytes + 1));
    outbound.send(new Uint8Array([0x0a]));
    await rejectsWithProtocolError(server.read(), /bad frame: .*too long/i);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("a length prefix with more bytes than the limit needs is refused at once", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    // 1024 fits a 2-byte varint; a third byte is refused without waiting for more
    outbound.send(varint(10 * 1024 * 1024));
    await rejectsWithProtocolError(server.read(), /bad frame: a length prefix longer than 2 bytes/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("a runaway varint length prefix is refused before the deadline", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    outbound.send(new Uint8Array(12).fill(0xff));
    const started = performance.now();
    await rejectsWithProtocolError(server.read(), /bad frame: a length prefix longer/);
    assert.ok(performance.now() - started < LIMITS.readTimeoutMs);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("malformed protobuf bytes in a frame are a ProtocolError", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    const raw = lpStream(outbound);
    // field 2 claims 100 bytes of string but the frame holds 2
    await raw.write(new Uint8Array([0x12, 100, 0x61, 0x62]));
    await rejectsWithProtocolError(server.read(), /bad frame/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("an invalid wire type in a frame is a ProtocolError", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    const raw = lpStream(outbound);
    await raw.write(new Uint8Array([0x7f, 0x00])); // unknown field 15, wire type 7
    await rejectsWithProtocolError(server.read(), /bad frame/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("decode limits are applied to repeated fields", async () => {
  const [outbound, inbound] = await streamPair();
  try {
    const { DirectoryRequest } = await import("../../src/proto/services.ts");
    const server = new FramedStream(inbound, DirectoryRequest, PresenceEvent, LIMITS, {
      limits: { oneTimePrekeys: 2 },
    });
    const client = new FramedStream(outbound, PresenceEvent, DirectoryRequest, LIMITS);
    const key = { id: 1, publicKey: new Uint8Array(32), signature: new Uint8Array(64) };
    await client.write({
      type: DirectoryRequest.Type.UPLOAD_PREKEYS,
      username: "",
      oneTimePrekeys: [key, key, key],
      withoutOneTimePrekey: false,
    });
    await rejectsWithProtocolError(server.read(), /bad frame/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("a read that waits past readTimeoutMs is a ProtocolError", async () => {
  const { outbound, inbound, server } = await accountPair({ ...LIMITS, readTimeoutMs: 50 });
  try {
    const started = performance.now();
    await rejectsWithProtocolError(server.read(), /no frame within 50 ms/);
    assert.ok(performance.now() - started >= 40);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("a frame that stalls half-way is a ProtocolError at the deadline", async () => {
  const { outbound, inbound, server } = await accountPair({ ...LIMITS, readTimeoutMs: 50 });
  try {
    outbound.send(new Uint8Array([10, 0x12, 3, 0x61])); // 10 bytes promised, 3 sent
    await rejectsWithProtocolError(server.read(), /no frame within 50 ms/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("the caller's abort signal is passed through, not turned into a ProtocolError", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    setTimeout(() => controller.abort(reason), 10);
    await assert.rejects(server.read(controller.signal), (err: unknown) => {
      assert.ok(!(err instanceof ProtocolError));
      return true;
    });
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("without a read deadline (readTimeoutMs ∞) a read needs a signal, which alone bounds it", async () => {
  const { outbound, inbound, client, server } = await accountPair({
    ...LIMITS,
    readTimeoutMs: Infinity,
  });
  try {
    await assert.rejects(server.read(), RangeError, "an unbounded read is refused");
    const controller = new AbortController();
    const request: AccountRequest = {
      type: AccountRequest.Type.LOGIN_START,
      username: "alice",
      opaqueMessage: "",
    };
    await client.write(request);
    assert.deepEqual(await server.read(controller.signal), request);
    const reason = new Error("caller gave up");
    setTimeout(() => controller.abort(reason), 10);
    await assert.rejects(server.read(controller.signal), (err: unknown) => err === reason);
    await client.close(); // close() still has a deadline of its own
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("reading more than maxFrames frames is a ProtocolError", async () => {
  const { outbound, inbound, client, server } = await accountPair({ ...LIMITS, maxFrames: 2 });
  try {
    for (let i = 0; i < 3; i++) {
      await client.write({
        type: AccountRequest.Type.LOGIN_START,
        username: `u${i}`,
        opaqueMessage: "",
      });
    }
    assert.equal((await server.read()).username, "u0");
    assert.equal((await server.read()).username, "u1");
    await rejectsWithProtocolError(server.read(), /more than 2 frames on one stream/);
    // a failed read still counts: the stream stays over its limit
    await rejectsWithProtocolError(server.read(), /more than 2 frames/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("readOrEnd returns undefined when the other side closes", async () => {
  const { outbound, inbound, client, server } = await accountPair();
  try {
    await client.write({
      type: AccountRequest.Type.LOGIN_START,
      username: "alice",
      opaqueMessage: "",
    });
    await client.close();
    assert.equal((await server.readOrEnd())?.username, "alice");
    assert.equal(await server.readOrEnd(), undefined);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("read after the other side closes is a ProtocolError", async () => {
  const { outbound, inbound, client, server } = await accountPair();
  try {
    await client.close();
    await rejectsWithProtocolError(server.read(), /bad frame/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("a frame cut short by the close is a ProtocolError for read, the end for readOrEnd", async () => {
  const first = await accountPair();
  const second = await accountPair();
  try {
    for (const { outbound } of [first, second]) {
      outbound.send(new Uint8Array([10, 0x12, 3, 0x61])); // 10 bytes promised, 4 sent
      await outbound.close();
    }
    await rejectsWithProtocolError(first.server.read(), /bad frame: Unexpected EOF/);
    assert.equal(await second.server.readOrEnd(), undefined);
  } finally {
    closeAll(first.outbound, first.inbound, second.outbound, second.inbound);
  }
});

Deno.test("readOrEnd still throws on a malformed frame", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    await lpStream(outbound).write(new Uint8Array([0x12, 100]));
    await rejectsWithProtocolError(server.readOrEnd(), /bad frame/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("readOrEnd reports a reset stream as a ProtocolError, not as an end", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    outbound.abort(new Error("reset by peer"));
    await rejectsWithProtocolError(server.readOrEnd(), /bad frame/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("a burst of small frames within the limits is read in full", async () => {
  const limits: FrameLimits = { maxFrameBytes: 1024, readTimeoutMs: 2000, maxFrames: Infinity };
  const [outbound, inbound] = await streamPair();
  try {
    const server = new FramedStream(outbound, PresenceRequest, PresenceEvent, limits);
    const client = new FramedStream(inbound, PresenceEvent, PresenceRequest, limits);
    const count = 200;
    const writes = Array.from({ length: count }, (_, i) =>
      server.write({
        status: Status.OK,
        statusText: "",
        username: `user${i}`.padEnd(32, "x"),
        peerId: "12D3KooW".padEnd(52, "y"),
        online: true,
        at: BigInt(i),
        type: PresenceEvent.Type.CHANGE,
        away: "",
        users: [],
        nextCursor: "",
      }));
    await Promise.all(writes);
    for (let i = 0; i < count; i++) {
      assert.equal((await client.read()).at, BigInt(i));
    }
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("a flood past the read-ahead bound is a ProtocolError", async () => {
  const { outbound, inbound, server } = await accountPair();
  try {
    // many complete frames sent in one chunk, never read
    const frame = new Uint8Array([100, ...new Uint8Array(100)]);
    const count = Math.ceil((READ_AHEAD_BYTES + LIMITS.maxFrameBytes + 16) / frame.length) + 1;
    const flood = new Uint8Array(frame.length * count);
    for (let i = 0; i < count; i++) flood.set(frame, i * frame.length);
    outbound.send(flood);
    await rejectsWithProtocolError(server.read(), /bad frame: Read buffer overflow/);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("close ends the stream gracefully for the reader", async () => {
  const { outbound, inbound, client, server } = await accountPair();
  try {
    await client.close();
    assert.equal(outbound.writeStatus, "closed");
    assert.equal(await server.readOrEnd(), undefined);
  } finally {
    closeAll(outbound, inbound);
  }
});

Deno.test("abort resets the stream", async () => {
  const { outbound, inbound, client, server } = await accountPair();
  try {
    client.abort(new Error("bye"));
    assert.equal(outbound.status, "aborted");
    await rejectsWithProtocolError(server.read(), /bad frame/);
  } finally {
    closeAll(outbound, inbound);
  }
});
