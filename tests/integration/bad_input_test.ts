/**
 * Hostile bytes on every rendezvous protocol, sent over raw streams of real connections: the
 * server answers with a status or resets the stream; it never crashes and never hangs.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import * as opaque from "@serenity-kit/opaque";
import type { Multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { PrekeyKind, signPrekey } from "../../src/crypto/prekeys.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { lookupUser } from "../../src/peer/clients/directory.ts";
import { DiscoveryClient } from "../../src/peer/clients/discovery.ts";
import { subscribePresence } from "../../src/peer/clients/presence.ts";
import { FederationResponse } from "../../src/proto/federation.ts";
import { MailboxResponse } from "../../src/proto/mailbox.ts";
import { Message } from "../../src/proto/rendezvous.ts";
import {
  AccountRequest,
  AccountResponse,
  DirectoryRequest,
  DirectoryResponse,
  PresenceEvent,
} from "../../src/proto/services.ts";
import { MAX_ONE_TIME_PREKEYS_PER_UPLOAD } from "../../src/protocol/limits.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import type { Rendezvous } from "../../src/rendezvous/server.ts";
import {
  clientNode,
  FAST,
  loggedInClient,
  stopAll,
  WAIT_MS,
  waitFor,
  within,
  withRendezvous,
} from "./harness.ts";

/** The rendezvous protocols (the peer-to-peer ones are tested elsewhere). */
type ProtocolName = Exclude<keyof typeof PROTOCOL, "chat" | "file">;

/** How each protocol's answer is decoded to its status name. */
const STATUS_OF: Record<ProtocolName, (frame: Uint8Array) => string> = {
  account: (frame) => AccountResponse.decode(frame).status,
  rendezvous: (frame) => {
    const message = Message.decode(frame);
    const status = message.registerResponse?.status ?? message.discoverResponse?.status;
    assert.ok(status !== undefined, `a rendezvous answer without a status: ${message.type}`);
    return status;
  },
  directory: (frame) => DirectoryResponse.decode(frame).status,
  presence: (frame) => PresenceEvent.decode(frame).status,
  mailbox: (frame) => MailboxResponse.decode(frame).status,
  federation: (frame) => FederationResponse.decode(frame).status,
};

/** What the server did with a stream: answered with a status, or closed or reset it. */
type Outcome = { status: string } | { closed: string };

/** Bytes to send on a fresh stream; `raw` bytes go without a length prefix. */
type Send = { frame: Uint8Array } | { raw: Uint8Array } | { nothing: true } | { endWrite: true };

/** Opens `protocol`, sends `send`, and reports what the server did within WAIT_MS. */
async function probe(
  node: TincanNode,
  address: Multiaddr,
  protocol: ProtocolName,
  send: Send,
): Promise<Outcome> {
  const stream: Stream = await node.dialProtocol(address, PROTOCOL[protocol]);
  const lp = lpStream(stream, { maxDataLength: 1024 * 1024 });
  try {
    if ("frame" in send) await lp.write(send.frame);
    if ("raw" in send) stream.send(send.raw);
    if ("endWrite" in send) await stream.close().catch(() => {});
    let frame: Uint8Array;
    try {
      frame = (await lp.read({ signal: AbortSignal.timeout(WAIT_MS) })).subarray();
    } catch (err: unknown) {
      const name = err instanceof Error ? err.name : String(err);
      assert.notEqual(name, "TimeoutError", `the server neither answered nor closed ${protocol}`);
      return { closed: name };
    }
    return { status: STATUS_OF[protocol](frame) };
  } finally {
    stream.abort(new Error("probe done"));
  }
}

/** Asserts the server refused: a non-OK status (the one given, when given) or a closed stream. */
function assertRefused(outcome: Outcome, what: string, status?: string): void {
  if (status !== undefined) {
    assert.deepEqual(outcome, { status }, what);
  } else if ("status" in outcome) {
    assert.notEqual(outcome.status, "OK", what);
  }
}

/** Asserts the server reset or closed the stream without answering. */
function assertClosed(outcome: Outcome, what: string): void {
  assert.ok("closed" in outcome, `${what}: expected a reset, got ${JSON.stringify(outcome)}`);
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

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const utf8 = new TextEncoder();

/** A protobuf field 1 (varint) holding `value`: an enum out of every type's range when 99. */
function enumField(value: number, ...rest: Uint8Array[]): Uint8Array {
  return concat(new Uint8Array([0x08]), varint(value), ...rest);
}

/** A protobuf field 2 (bytes/string) holding `text`. */
function stringField2(text: string): Uint8Array {
  const bytes = utf8.encode(text);
  return concat(new Uint8Array([0x12]), varint(bytes.length), bytes);
}

/** Bytes that are not protobuf: a field of wire type 7 (none exists), then junk. */
const MALFORMED = new Uint8Array([0x0f, 0xff, 0xff, 0xff]);
/** A length prefix announcing a 10 MB frame, and the first bytes of it. */
const OVERSIZE = concat(varint(10 * 1024 * 1024), new Uint8Array(64));

/** After abuse: the node still runs and serves a full registration and login. */
async function assertStillServes(rendezvous: Rendezvous, address: Multiaddr): Promise<void> {
  assert.equal(rendezvous.node.status, "started");
  const node = await clientNode();
  try {
    const username = `after-${crypto.randomUUID().slice(0, 8)}`;
    await registerAccount(node, address, username, "pw", FAST);
    const result = await login(node, address, username, "pw", FAST);
    assert.equal(result.username, username);
  } finally {
    await node.stop();
  }
}

Deno.test("bad input: malformed, oversize and unknown frames on every protocol", async () => {
  // Read deadlines far beyond WAIT_MS: each probe must be refused on its bytes, not on time.
  const { rendezvous, address } = await withRendezvous({ readTimeoutMs: 60_000 });
  const member = await loggedInClient(address, "member");
  const stranger = await clientNode();
  try {
    for (const protocol of Object.keys(STATUS_OF) as ProtocolName[]) {
      const node = protocol === "presence" ? stranger : member;
      assertClosed(await probe(node, address, protocol, { frame: MALFORMED }), `${protocol} junk`);
      assertClosed(await probe(node, address, protocol, { raw: OVERSIZE }), `${protocol} 10 MB`);
      assertClosed(
        await probe(node, address, protocol, {
          raw: new Uint8Array(10).fill(0xff),
        }),
        `${protocol} endless varint`,
      );
    }

    // Enum values outside the schema.
    const alice = stringField2("alice");
    for (const protocol of ["account", "rendezvous", "directory", "mailbox"] as const) {
      assertClosed(
        await probe(member, address, protocol, { frame: enumField(99, alice) }),
        `${protocol} type 99`,
      );
    }
    assertClosed(
      await probe(member, address, "account", { frame: enumField(2 ** 31 + 5, alice) }),
      "account type out of int32",
    );
    assertClosed(
      await probe(member, address, "presence", { frame: enumField(99) }),
      "presence type 99",
    );
    // Fields outside the schema are skipped, as protobuf says (field 15, a varint: tag 0x78).
    assertRefused(
      await probe(stranger, address, "presence", { frame: Uint8Array.of(0x78, 0x01) }),
      "presence unknown field",
      "E_NOT_AUTHORIZED",
    );
    await assertStillServes(rendezvous, address);
  } finally {
    await stopAll(member, stranger, rendezvous);
  }
});

Deno.test("bad input: well-formed but wrong requests get a status", async () => {
  const { rendezvous, address } = await withRendezvous({ readTimeoutMs: 1000 });
  const key = await generateKeyPair("Ed25519");
  const member = await clientNode(key);
  try {
    await registerAccount(member, address, "member", "pw", FAST);
    await login(member, address, "member", "pw", FAST);
    const account = (type: AccountRequest.Type, opaqueMessage = "") =>
      probe(member, address, "account", {
        frame: AccountRequest.encode({ type, username: "member", opaqueMessage }),
      });
    const T = AccountRequest.Type;
    assertRefused(await account(T.REGISTER_FINISH, "x"), "finish first", "E_BAD_REQUEST");
    assertRefused(await account(T.LOGIN_ABORT), "abort first", "E_BAD_REQUEST");
    assertRefused(await account(T.LOGIN_START, "not opaque"), "junk login", "E_BAD_REQUEST");
    assertRefused(await account(T.LOGIN_START, ""), "empty login", "E_BAD_REQUEST");
    const register = await probe(member, address, "account", {
      frame: AccountRequest.encode({
        type: T.REGISTER_START,
        username: "other",
        opaqueMessage: "not opaque",
      }),
    });
    assertRefused(register, "junk registration", "E_BAD_REQUEST");

    const rendezvousRequest = (message: Message) =>
      probe(member, address, "rendezvous", { frame: Message.encode(message) });
    const M = Message.MessageType;
    assertRefused(await rendezvousRequest({ type: M.REGISTER_RESPONSE }), "a response as request");
    assertRefused(await rendezvousRequest({ type: M.REGISTER }), "REGISTER without its field");
    assertRefused(
      await rendezvousRequest({
        type: M.DISCOVER,
        discover: { ns: "x", limit: 2n ** 63n, cookie: new Uint8Array(300) },
      }),
      "DISCOVER with a huge limit and a junk cookie",
      "E_INVALID_COOKIE",
    );

    const directory = (request: Partial<DirectoryRequest>) =>
      probe(member, address, "directory", {
        frame: DirectoryRequest.encode({
          type: DirectoryRequest.Type.LOOKUP,
          username: "",
          oneTimePrekeys: [],
          ...request,
        }),
      });
    assertRefused(await directory({}), "lookup of no one", "E_INVALID_USERNAME");
    assertRefused(
      await directory({ type: DirectoryRequest.Type.UPLOAD_PREKEYS }),
      "upload without keys",
      "E_BAD_REQUEST",
    );
    const signed = await signPrekey(PrekeyKind.OneTime, 1, new Uint8Array(32), key);
    assertClosed(
      await directory({
        type: DirectoryRequest.Type.UPLOAD_PREKEYS,
        identityDhKey: signed,
        signedPrekey: signed,
        oneTimePrekeys: Array(MAX_ONE_TIME_PREKEYS_PER_UPLOAD + 1).fill(signed),
      }),
      "too many one-time prekeys",
    );
    await assertStillServes(rendezvous, address);
  } finally {
    await stopAll(member, rendezvous);
  }
});

Deno.test("bad input: stalled and truncated streams are reset after the read deadline", async () => {
  const { rendezvous, address } = await withRendezvous({ readTimeoutMs: 500 });
  const member = await loggedInClient(address, "member");
  const stranger = await clientNode();
  // One node per probe, so that no probe meets a per-connection stream limit instead.
  const probers: TincanNode[] = [];
  try {
    const cases: [string, Send][] = [
      ["nothing", { nothing: true }],
      ["half a frame", { raw: concat(varint(100), new Uint8Array(10)) }],
      ["half a length", { raw: new Uint8Array([0x80]) }],
      ["end of input", { endWrite: true }],
    ];
    const probes: Promise<[string, Outcome]>[] = [];
    for (const protocol of Object.keys(STATUS_OF) as ProtocolName[]) {
      for (const [what, send] of cases) {
        const node = await clientNode();
        probers.push(node);
        probes.push(
          probe(node, address, protocol, send).then((o) => [`${protocol}: ${what}`, o]),
        );
      }
    }
    for (const [what, outcome] of await within("every stalled probe", Promise.all(probes))) {
      assertClosed(outcome, what);
    }

    // A login left unfinished after LOGIN_START is reset too.
    const stream = await stranger.dialProtocol(address, PROTOCOL.account);
    const lp = lpStream(stream);
    await lp.write(AccountRequest.encode({
      type: AccountRequest.Type.LOGIN_START,
      username: "member",
      opaqueMessage: await startLoginRequest(),
    }));
    assert.equal(AccountResponse.decode((await lp.read()).subarray()).status, "OK");
    await assert.rejects(lp.read({ signal: AbortSignal.timeout(WAIT_MS) }), (err: Error) => {
      assert.notEqual(err.name, "TimeoutError", "the half-done login was not reset");
      return true;
    });
    await assertStillServes(rendezvous, address);
  } finally {
    await stopAll(member, stranger, ...probers, rendezvous);
  }
});

Deno.test("bad input: stalled streams do not hold up anyone else", async () => {
  // Long read deadlines: the stalled streams stay open for the whole test.
  const { rendezvous, address } = await withRendezvous({ readTimeoutMs: 60_000 });
  const stalling = await loggedInClient(address, "stalling");
  const streams: Stream[] = [];
  const alice = await loggedInClient(address, "alice");
  try {
    for (const protocol of Object.keys(STATUS_OF) as ProtocolName[]) {
      streams.push(await stalling.dialProtocol(address, PROTOCOL[protocol]));
    }
    await assertStillServes(rendezvous, address);
    assert.ok((await lookupUser(alice, address, "stalling")).certificate.length > 0);
    const discovery = await DiscoveryClient.open(alice, address);
    assert.deepEqual((await discovery.discover("ns")).registrations, []);
    await discovery.close();
    const feed = await subscribePresence(alice, address);
    await feed.close();
    // The stalling client's own streams block nothing of its own either.
    assert.ok((await lookupUser(stalling, address, "alice")).certificate.length > 0);
    assert.ok(streams.every((s) => s.status === "open"));
  } finally {
    for (const stream of streams) stream.abort(new Error("test over"));
    await stopAll(stalling, alice, rendezvous);
  }
});

Deno.test("bad input: a peer that drops its connection mid-request leaves the server well", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await loggedInClient(address, "alice");
  const quitter = await loggedInClient(address, "quitter");
  try {
    for (const protocol of Object.keys(STATUS_OF) as ProtocolName[]) {
      const stream = await quitter.dialProtocol(address, PROTOCOL[protocol]);
      stream.send(varint(100));
    }
    await quitter.stop();
    await waitFor(
      "the quitter's session to end",
      () => rendezvous.loggedIn.byUsername("quitter") === undefined,
    );
    assert.equal(rendezvous.loggedIn.usernameOf(alice.peerId.toString()), "alice");
    await assertStillServes(rendezvous, address);
  } finally {
    await stopAll(alice, quitter, rendezvous);
  }
});

/** A well-formed OPAQUE LOGIN_START message. */
async function startLoginRequest(): Promise<string> {
  await opaque.ready;
  return opaque.client.startLogin({ password: "whatever" }).startLoginRequest;
}
