// deno-lint-ignore-file no-console
/**
 * One client process of the scale bench (scale.ts): it holds `--count` simulated peers (a libp2p
 * node each, cheap key stretching) and takes them through the bench's stages on command. Its
 * protocol: one JSON command a line on stdin (ScaleCommand), one JSON reply a line on stdout
 * (ScaleReply) when the command is done; it stops its nodes and exits when stdin closes, even in
 * the middle of a command.
 * Usage: scale_worker_process.ts --prefix P --count N [--slots S]; with SCALE_TRACE_ENV set it
 * reports its dead heartbeats every 10 s on stderr.
 */
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { parseArgs } from "node:util";
import { configureLogging } from "../src/log.ts";
import { sealPeerRecord } from "../src/net/peer_record.ts";
import { DiscoveryClient } from "../src/peer/clients/discovery.ts";
import { readLines } from "./child_loop.ts";
import { RemoteError } from "../src/errors.ts";
import { login, registerAccount } from "../src/peer/clients/account.ts";
import { Status } from "../src/proto/services.ts";
import { type BenchPeer, CHEAP_STRETCHING, startClient, stopClients } from "./clients.ts";
import { BENCH_NAMESPACE, benchAddress } from "./discover.ts";
import { BENCH_SOCKET_INACTIVITY_MS } from "./limits.ts";
import { forEachBatched } from "./measure.ts";
import {
  SCALE_TRACE_ENV,
  type ScaleCommand,
  type ScaleReply,
  wallClockMs,
} from "./scale_protocol.ts";
import { Semaphore } from "./semaphore.ts";
import { EchoSession } from "./echo.ts";
import { RAW_HEARTBEAT_BYTES } from "./heartbeats.ts";
import { startHeartbeat } from "../src/peer/presence_heartbeat.ts";
import { type PresenceWatch, watchPresence } from "./scale_presence.ts";

interface SimulatedPeer {
  readonly peer: BenchPeer;
  /** Its index across all workers: names its bench address. */
  readonly index: number;
  discovery?: DiscoveryClient;
  presence?: PresenceWatch;
  /** Its raw baseline echo stream and heartbeat, while they run. */
  echo?: { readonly session: EchoSession; readonly stop: () => void };
}

/** Dials (and logins, REGISTERs) in flight at once per process: more time out on a loaded machine. */
const CONNECT_CONCURRENCY = 4;
/**
 * Presence subscriptions opened at once: one, because under broadcast each is answered with
 * everyone online, and a new subscription's first event (due within its read timeout) waits
 * behind every dump this process is still decoding.
 */
const SUBSCRIBE_CONCURRENCY = 1;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      prefix: { type: "string" },
      count: { type: "string" },
      first: { type: "string", default: "0" },
      slots: { type: "string", default: "1" },
    },
  });
  if (values.prefix === undefined || values.count === undefined) {
    throw new TypeError("scale_worker_process.ts needs --prefix and --count");
  }
  configureLogging("warn");
  const first = Number(values.first);
  const peers: SimulatedPeer[] = [];
  for (let i = 0; i < Number(values.count); i++) {
    peers.push({
      peer: await startClient(`${values.prefix}-${i}`, {
        socketInactivityTimeoutMs: BENCH_SOCKET_INACTIVITY_MS,
      }),
      index: first + i,
    });
  }
  // Logins and registrations in flight from this process: the rendezvous throttles them per
  // address, and every worker dials from 127.0.0.1 (scale.ts divides the budget).
  const slots = new Semaphore(Number(values.slots));
  const reply = (r: ScaleReply) => console.log(JSON.stringify(r));
  reply({ done: "start", count: peers.length });
  if (Deno.env.get(SCALE_TRACE_ENV) !== undefined) traceDead(peers, values.prefix);
  try {
    // Commands run one after another; stdin closing (the bench ended, or died) stops the worker
    // at once, even in the middle of a command.
    let queue = Promise.resolve();
    for await (const line of readLines(Deno.stdin.readable)) {
      const command = JSON.parse(line) as ScaleCommand;
      queue = queue.then(async () => {
        try {
          reply(await run(command, peers, slots));
        } catch (err: unknown) {
          reply({ done: "error", message: err instanceof Error ? err.message : String(err) });
        }
      });
    }
  } finally {
    await Promise.all(peers.map((p) => p.presence?.close().catch(() => {})));
    await Promise.all(peers.map((p) => p.discovery?.close().catch(() => {})));
    await stopClients(peers.map((p) => p.peer));
  }
}

async function run(
  command: ScaleCommand,
  peers: readonly SimulatedPeer[],
  slots: Semaphore,
): Promise<ScaleReply> {
  switch (command.do) {
    case "connect": {
      const to = multiaddr(command.to);
      let retries = 0;
      await forEachBatched(peers, CONNECT_CONCURRENCY, async ({ peer }) => {
        retries += await withRetries(() => peer.node.dial(to).then(() => {}));
      });
      return { done: "connect", retries };
    }
    case "hangup": {
      const to = multiaddr(command.to);
      await forEachBatched(peers, CONNECT_CONCURRENCY, async (p) => {
        p.echo?.stop();
        await p.echo?.session.close();
        delete p.echo;
        await p.peer.node.hangUp(to);
      });
      return { done: "hangup" };
    }
    case "echo": {
      const to = multiaddr(command.to);
      const payload = new Uint8Array(RAW_HEARTBEAT_BYTES);
      await forEachBatched(peers, CONNECT_CONCURRENCY, async (p) => {
        const session = await EchoSession.open(p.peer.node, to);
        const stop = startHeartbeat({
          beat: () => session.roundTrip(payload),
          onDead: (reason) => console.error(`raw echo heartbeat stopped: ${reason.message}`),
        });
        p.echo = { session, stop };
      });
      return { done: "echo" };
    }
    case "account": {
      const to = multiaddr(command.to);
      let retries = 0;
      await forEachBatched(peers, CONNECT_CONCURRENCY, async ({ peer }) => {
        retries += await registerOnce(peer, to, slots);
      });
      return { done: "account", retries };
    }
    case "login": {
      const to = multiaddr(command.to);
      const joinedAt: number[] = [];
      let retries = 0;
      await forEachBatched(peers, CONNECT_CONCURRENCY, async ({ peer }) => {
        retries += await join(peer, to, slots);
        joinedAt.push(wallClockMs());
      });
      return { done: "login", joinedAt, retries };
    }
    case "register": {
      const to = multiaddr(command.to);
      let retries = 0;
      await forEachBatched(peers, CONNECT_CONCURRENCY, async (p) => {
        retries += await loggedIn(p.peer, to, slots, async () => {
          await p.discovery?.close().catch(() => {});
          p.discovery = await DiscoveryClient.open(p.peer.node, to);
          const record = await sealPeerRecord(p.peer.key, [benchAddress(p.index)], 1n);
          await p.discovery.register(BENCH_NAMESPACE, record);
        });
      });
      return { done: "register", retries };
    }
    case "presence": {
      const to = multiaddr(command.to);
      const subscribers = peers.slice(0, command.subscribers);
      let retries = 0;
      await forEachBatched(subscribers, SUBSCRIBE_CONCURRENCY, async (p, i) => {
        const follow = i < command.watchers ? [command.user] : [];
        retries += await loggedIn(p.peer, to, slots, async () => {
          p.presence = await watchPresence(p.peer.node, to, follow);
        });
      });
      return { done: "presence", retries };
    }
    case "arm": {
      for (const p of peers.slice(0, command.watchers)) {
        p.presence?.arm(command.user, command.online);
      }
      return { done: "arm" };
    }
    case "collect": {
      const watchers = peers.slice(0, command.watchers);
      const seen = await Promise.all(
        watchers.map((p) =>
          p.presence?.seen(AbortSignal.timeout(command.timeoutMs)) ?? Promise.resolve(undefined)
        ),
      );
      return {
        done: "collect",
        seenAt: seen.filter((t): t is number => t !== undefined),
        dead: peers.filter((p) => p.presence?.dead !== undefined).length,
      };
    }
    case "memory":
      return { done: "memory", usage: Deno.memoryUsage() };
  }
}

/** Writes to stderr, every 10 s, how many of `peers`' heartbeats have died and the first reason. */
function traceDead(peers: readonly SimulatedPeer[], prefix: string): void {
  const timer = setInterval(() => {
    const dead = peers.filter((p) => p.presence?.dead !== undefined);
    const subscribed = peers.filter((p) => p.presence !== undefined).length;
    console.error(
      `${new Date().toISOString()} ${prefix}: ${dead.length}/${subscribed} heartbeats dead` +
        (dead.length > 0 ? ` (${dead[0]!.presence!.dead})` : ""),
    );
  }, 10_000);
  Deno.unrefTimer(timer);
}

/** Attempts at one step of one peer (a dial, a registration + login) before the bench gives up. */
const ATTEMPTS = 6;
/** Pause after a failed attempt, times the attempts failed so far. */
const RETRY_PAUSE_MS = 1_000;

/**
 * Runs `work` until it succeeds, at most ATTEMPTS times: on the loaded machine a dial or a login
 * now and then times out. Waits in between as long as a throttled answer asks, else a little
 * longer each time. Returns the failed attempts.
 * @throws the last attempt's error.
 */
async function withRetries(work: () => Promise<void>): Promise<number> {
  for (let failed = 0;; failed++) {
    try {
      await work();
      return failed;
    } catch (err: unknown) {
      if (failed + 1 >= ATTEMPTS) throw err;
      const pause = err instanceof RemoteError && err.retryAfterMs !== undefined
        ? err.retryAfterMs
        : RETRY_PAUSE_MS * (failed + 1);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** Registers `peer`'s account in one of `slots`, with retries; returns the failed attempts. */
async function registerOnce(peer: BenchPeer, to: Multiaddr, slots: Semaphore): Promise<number> {
  return await withRetries(async () => {
    try {
      await slots.with(() =>
        registerAccount(peer.node, to, peer.username, peer.password, CHEAP_STRETCHING)
      );
    } catch (err: unknown) {
      // A registration that went through although its answer was lost is done.
      if (!(err instanceof RemoteError && err.status === Status.E_USERNAME_TAKEN)) throw err;
    }
  });
}

/** Logs `peer` in (its account registered) in one of `slots`, with retries; returns the failed attempts. */
async function join(peer: BenchPeer, to: Multiaddr, slots: Semaphore): Promise<number> {
  return await withRetries(() =>
    slots.with(() => login(peer.node, to, peer.username, peer.password, CHEAP_STRETCHING))
      .then(() => {})
  );
}

/**
 * Runs `step` with retries; when the rendezvous says the peer is not logged in (its connection was
 * dropped: on a loaded machine a keep-alive ping can time out), logs it in again first.
 */
async function loggedIn(
  peer: BenchPeer,
  to: Multiaddr,
  slots: Semaphore,
  step: () => Promise<void>,
): Promise<number> {
  let relogins = 0;
  const failed = await withRetries(async () => {
    try {
      await step();
    } catch (err: unknown) {
      if (err instanceof RemoteError && err.status === Status.E_NOT_AUTHORIZED) {
        relogins += 1 + await join(peer, to, slots);
      }
      throw err;
    }
  });
  return failed + relogins;
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
