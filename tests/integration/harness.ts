/** Test harness: a real rendezvous and real libp2p clients on loopback, always stopped. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import * as opaque from "@serenity-kit/opaque";
import assert from "node:assert/strict";
import { RemoteError } from "../../src/errors.ts";
import { configureLogging } from "../../src/log.ts";
import { FramedStream } from "../../src/net/framed.ts";
import { createNode, type TincanNode } from "../../src/net/node.ts";
import {
  type AccountOptions,
  KEY_STRETCHING,
  login,
  registerAccount,
} from "../../src/peer/clients/account.ts";
import { AccountRequest, AccountResponse } from "../../src/proto/services.ts";
import { FRAMES } from "../../src/protocol/limits.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import {
  type Rendezvous,
  type RendezvousOptions,
  startRendezvous,
} from "../../src/rendezvous/server.ts";

configureLogging(Deno.env.get("TINCAN_TEST_LOG") === "debug" ? "debug" : "error");

/** Data directories the harness made; removed when the test module unloads. */
const tempDirs = new Set<string>();
globalThis.addEventListener("unload", () => {
  for (const dir of tempDirs) Deno.removeSync(dir, { recursive: true });
});

/** A cheap key-stretching setting so tests spend their time on the protocol, not on Argon2. */
export const FAST: AccountOptions = {
  keyStretching: { "argon2id-custom": { iterations: 1, memory: 256, parallelism: 1 } },
};

/** A rendezvous in a fresh temporary data directory, with the test's clock. */
export async function withRendezvous(
  options: Partial<RendezvousOptions> = {},
): Promise<{ rendezvous: Rendezvous; address: Multiaddr; dataDir: string }> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "tincan-test-" });
  tempDirs.add(dataDir);
  const rendezvous = await startRendezvous({
    dataDir,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    name: "test",
    nodeLimits: { inboundConnectionsPerSecondPerHost: 10_000 },
    ...options,
  });
  const address = multiaddr(rendezvous.multiaddrs()[0]!);
  return { rendezvous, address, dataDir };
}

/** A client node that does not listen. */
export async function clientNode(privateKey?: PrivateKey): Promise<TincanNode> {
  return await createNode({
    privateKey: privateKey ?? await generateKeyPair("Ed25519"),
    listen: [],
    agent: "tincan-test",
  });
}

/** A client node (with `privateKey`, when given) registered and logged in as `username`. */
export async function loggedInClient(
  address: Multiaddr,
  username: string,
  password = `pw-${username}`,
  privateKey?: PrivateKey,
): Promise<TincanNode> {
  const node = await clientNode(privateKey);
  await registerAccount(node, address, username, password, FAST);
  await login(node, address, username, password, FAST);
  return node;
}

/** Stops everything given, ignoring what is already stopped. */
export async function stopAll(
  ...things: ({ stop(): void | Promise<void> } | undefined)[]
): Promise<void> {
  await Promise.all(things.map(async (t) => {
    try {
      await t?.stop();
    } catch {
      // already stopped
    }
  }));
}

/** A clock a test moves by hand; pass `clock.now` as the rendezvous' `now`. */
export class ManualClock {
  #time: number;
  constructor(start = Date.now()) {
    this.#time = start;
  }
  /** The current time, in ms since the Unix epoch. */
  readonly now = (): number => this.#time;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.#time += ms;
  }
}

/** How long `waitFor` and `within` wait before failing the test. */
export const WAIT_MS = 10_000;

/**
 * Polls `condition` until it holds.
 * @throws AssertionError naming `what` when it does not hold within `timeoutMs`.
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Awaits `promise`, failing the test if it is still pending after `timeoutMs`.
 * @throws AssertionError naming `what` on timeout; whatever `promise` throws otherwise.
 */
export async function within<T>(
  what: string,
  promise: Promise<T>,
  timeoutMs = WAIT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new assert.AssertionError({ message: `${what} took over ${timeoutMs} ms` })),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Awaits `promise`, which must reject with a RemoteError (of `status`, when given); returns it. */
export async function remoteError(
  promise: Promise<unknown>,
  status?: string,
): Promise<RemoteError> {
  let error: unknown;
  try {
    await promise;
  } catch (err: unknown) {
    error = err;
  }
  assert.ok(error instanceof RemoteError, `expected RemoteError ${status}, got ${error}`);
  if (status !== undefined) assert.equal(error.status, status, error.message);
  return error;
}

/** Asserts two byte arrays hold the same bytes, whatever their classes (Buffer vs Uint8Array). */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  assert.deepEqual(new Uint8Array(actual), new Uint8Array(expected), message);
}

/**
 * A login driven by hand, for tests that interleave logins: LOGIN_START sent and its response
 * read; the caller finishes it (or closes it) when it likes.
 */
export async function startRawLogin(
  node: TincanNode,
  address: Multiaddr,
  username: string,
  password: string,
) {
  await opaque.ready;
  const stream = await node.dialProtocol(address, PROTOCOL.account);
  const framed = new FramedStream(stream, AccountResponse, AccountRequest, FRAMES.account);
  const start = opaque.client.startLogin({ password });
  await framed.write({
    type: AccountRequest.Type.LOGIN_START,
    username,
    opaqueMessage: start.startLoginRequest,
  });
  const response = await framed.read();
  /** Sends LOGIN_FINISH, or LOGIN_ABORT when the password is wrong. */
  const sendFinish = async (): Promise<void> => {
    const finished = opaque.client.finishLogin({
      clientLoginState: start.clientLoginState,
      loginResponse: response.opaqueMessage,
      password,
      identifiers: { client: username, server: address.getComponents().at(-1)!.value! },
      keyStretching: FAST.keyStretching ?? KEY_STRETCHING,
    });
    await framed.write(
      finished === undefined
        ? { type: AccountRequest.Type.LOGIN_ABORT, username, opaqueMessage: "" }
        : {
          type: AccountRequest.Type.LOGIN_FINISH,
          username,
          opaqueMessage: finished.finishLoginRequest,
        },
    );
  };
  /** Sends the finish and reads the answer. */
  const finish = async (): Promise<AccountResponse> => {
    await sendFinish();
    try {
      return await framed.read();
    } finally {
      await framed.close();
    }
  };
  return { response, sendFinish, finish, close: () => framed.close() };
}
