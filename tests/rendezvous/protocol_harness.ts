/**
 * Doubles for the rendezvous protocol unit tests: `:memory:` stores, a caller (the remote end of
 * a connection, as a handler sees it) and a handler driven over an in-memory stream pair — no
 * libp2p node, no socket.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey, Stream } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { streamPair } from "@libp2p/utils";
import { multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { ProtocolError } from "../../src/errors.ts";
import type { Logger } from "../../src/log.ts";
import { FramedStream, type FrameLimits, type MessageCodec } from "../../src/net/framed.ts";
import type { AccountCaller } from "../../src/rendezvous/account_protocol.ts";
import type { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import { AccountStore } from "../../src/rendezvous/store/accounts.ts";
import { MailboxStore } from "../../src/rendezvous/store/mailbox.ts";
import { PrekeyStore } from "../../src/rendezvous/store/prekeys.ts";
import { RENDEZVOUS_MIGRATIONS } from "../../src/rendezvous/store/schema.ts";
import { openDatabase } from "../../src/store/database.ts";

/** A logger that keeps its lines, so a test can look at them. */
export function memoryLog(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return {
    lines,
    debug: keep("debug"),
    info: keep("info"),
    warn: keep("warn"),
    error: keep("error"),
  };
}

/** The rendezvous stores over one fresh `:memory:` database. */
export function memoryStores(): {
  db: DatabaseSync;
  accounts: AccountStore;
  prekeys: PrekeyStore;
  mailbox: MailboxStore;
} {
  const db = openDatabase(":memory:", RENDEZVOUS_MIGRATIONS);
  return {
    db,
    accounts: new AccountStore(db),
    prekeys: new PrekeyStore(db),
    mailbox: new MailboxStore(db),
  };
}

/** A remote peer with a fresh Ed25519 key, at 192.0.2.7, on an open connection. */
export interface TestCaller extends AccountCaller {
  readonly key: PrivateKey;
  readonly peerId: string;
}

/** The connection id a test caller of `peerId` has. */
export function connectionIdOf(peerId: string): string {
  return `connection-${peerId}`;
}

/** A fresh caller (see TestCaller). */
export async function testCaller(key?: PrivateKey): Promise<TestCaller> {
  const privateKey = key ?? await generateKeyPair("Ed25519");
  const remotePeer = peerIdFromPrivateKey(privateKey);
  return {
    key: privateKey,
    peerId: remotePeer.toString(),
    remotePeer,
    remoteAddr: multiaddr("/ip4/192.0.2.7/tcp/4001"),
    status: "open",
    id: connectionIdOf(remotePeer.toString()),
    close: () => Promise.resolve(),
    abort: () => {},
  };
}

/**
 * Gives `caller` an account `username` (with a placeholder first key-log statement) and logs it
 * in unless `online` is false.
 */
export function addMember(
  accounts: AccountStore,
  loggedIn: LoggedInUsers,
  username: string,
  caller: TestCaller,
  { online = true, now = 0 } = {},
): TestCaller {
  const identityKey = caller.key.publicKey.raw;
  accounts.create(
    { username, registrationRecord: "", identityKey, createdAt: now },
    KEY_LOG_STATEMENT,
  );
  if (online) loggedIn.login(username, caller.peerId, now);
  return caller;
}

/** The placeholder key-log statement of addMember's accounts. */
export const KEY_LOG_STATEMENT = Uint8Array.of(1, 2, 3);

/** A length-prefixed frame whose field 1 (every request's `type`) is 99: outside its enum. */
export const TYPE_99_FRAME = Uint8Array.of(2, 0x08, 0x63);

/** Generous frame limits for the client end of a test stream. */
export const CLIENT_FRAMES: FrameLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  readTimeoutMs: 5000,
  maxFrames: 1_000_000,
};

/** A handler running on one end of a stream pair, and the client's framed end of it. */
export interface Served<Request, Response> {
  /** The client end: writes requests, reads responses. */
  readonly client: FramedStream<Response, Request>;
  /** The raw client stream (for bytes no codec would write). */
  readonly raw: Stream;
  /** Settles when the handler returns (or rejects with what it threw; the stream is reset). */
  readonly done: Promise<void>;
}

/**
 * Starts `handler` on the inbound end of a fresh stream pair, as `caller`'s stream; the client
 * end speaks `request`/`response`.
 */
export async function serve<Request, Response, C>(
  handler: (stream: Stream, connection: C) => Promise<void>,
  caller: C,
  request: MessageCodec<Request>,
  response: MessageCodec<Response>,
): Promise<Served<Request, Response>> {
  const [outbound, inbound] = await streamPair();
  const done = handler(inbound, caller);
  // As guarded() does in the server: a handler that throws has its stream reset. A test that
  // expects the rejection awaits `done` itself.
  done.catch((err: unknown) => inbound.abort(err instanceof Error ? err : new Error(String(err))));
  return {
    client: new FramedStream(outbound, response, request, CLIENT_FRAMES),
    raw: outbound,
    done,
  };
}

/** Sends `bytes` unframed on `served`'s stream: the handler must throw a ProtocolError (a reset). */
export async function assertResetBy<Request, Response>(
  served: Served<Request, Response>,
  bytes: Uint8Array,
): Promise<void> {
  served.raw.send(bytes);
  await assert.rejects(served.done, ProtocolError);
}

/** Whether `promise` is still pending after `ms`. */
export async function stillPending(promise: Promise<unknown>, ms = 50): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = Symbol("pending");
  const wait = new Promise<typeof pending>((resolve) =>
    timer = setTimeout(() => resolve(pending), ms)
  );
  try {
    return await Promise.race([promise.then(() => undefined, () => undefined), wait]) === pending;
  } finally {
    clearTimeout(timer);
  }
}
