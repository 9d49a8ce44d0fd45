// deno-lint-ignore-file no-console
/**
 * One client process of the scale bench (scale.ts): it holds `--count` simulated peers (a libp2p
 * node each, cheap key stretching) and takes them through the bench's stages on command. Its
 * protocol: one JSON command a line on stdin (ScaleCommand), one JSON reply a line on stdout
 * (ScaleReply) when the command is done; it stops its nodes and exits when stdin closes.
 * Usage: scale_worker_process.ts --prefix P --count N [--slots S]
 */
import { multiaddr } from "@multiformats/multiaddr";
import { parseArgs } from "node:util";
import { configureLogging } from "../src/log.ts";
import { sealPeerRecord } from "../src/net/peer_record.ts";
import { DiscoveryClient } from "../src/peer/clients/discovery.ts";
import { readLines } from "./child_loop.ts";
import {
  type BenchPeer,
  CHEAP_STRETCHING,
  registerAndLogin,
  startClient,
  stopClients,
} from "./clients.ts";
import { BENCH_NAMESPACE, benchAddress } from "./discover.ts";
import { CLIENT_LIMITS } from "./memory.ts";
import { forEachBatched } from "./measure.ts";
import { type ScaleCommand, type ScaleReply, wallClockMs } from "./scale_protocol.ts";
import { Semaphore } from "./semaphore.ts";
import { type PresenceWatch, watchPresence } from "./scale_presence.ts";

interface SimulatedPeer {
  readonly peer: BenchPeer;
  /** Its index across all workers: names its bench address. */
  readonly index: number;
  discovery?: DiscoveryClient;
  presence?: PresenceWatch;
}

/** Nodes started or dialled at once. */
const CONNECT_CONCURRENCY = 50;

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
      peer: await startClient(`${values.prefix}-${i}`, CLIENT_LIMITS),
      index: first + i,
    });
  }
  // Logins and registrations in flight from this process: the rendezvous throttles them per
  // address, and every worker dials from 127.0.0.1 (scale.ts divides the budget).
  const slots = new Semaphore(Number(values.slots));
  const reply = (r: ScaleReply) => console.log(JSON.stringify(r));
  reply({ done: "start", count: peers.length });
  try {
    for await (const line of readLines(Deno.stdin.readable)) {
      const command = JSON.parse(line) as ScaleCommand;
      try {
        reply(await run(command, peers, slots));
      } catch (err: unknown) {
        reply({ done: "error", message: err instanceof Error ? err.message : String(err) });
      }
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
      await forEachBatched(peers, CONNECT_CONCURRENCY, async ({ peer }) => {
        await peer.node.dial(to, { signal: AbortSignal.timeout(60_000) });
      });
      return { done: "connect" };
    }
    case "hangup": {
      const to = multiaddr(command.to);
      await forEachBatched(peers, CONNECT_CONCURRENCY, ({ peer }) => peer.node.hangUp(to));
      return { done: "hangup" };
    }
    case "login": {
      const to = multiaddr(command.to);
      const joinedAt: number[] = [];
      await forEachBatched(peers, CONNECT_CONCURRENCY, async ({ peer }) => {
        await registerAndLogin(peer, to, CHEAP_STRETCHING, slots);
        joinedAt.push(wallClockMs());
      });
      return { done: "login", joinedAt };
    }
    case "register": {
      const to = multiaddr(command.to);
      await forEachBatched(peers, CONNECT_CONCURRENCY, async (p) => {
        p.discovery = await DiscoveryClient.open(p.peer.node, to);
        const record = await sealPeerRecord(p.peer.key, [benchAddress(p.index)], 1n);
        await p.discovery.register(BENCH_NAMESPACE, record);
      });
      return { done: "register" };
    }
    case "presence": {
      const to = multiaddr(command.to);
      const subscribers = peers.slice(0, command.subscribers);
      await forEachBatched(subscribers, CONNECT_CONCURRENCY, async (p, i) => {
        p.presence = await watchPresence(
          p.peer.node,
          to,
          i < command.watchers ? [command.user] : [],
        );
      });
      return { done: "presence" };
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
      return { done: "collect", seenAt: seen.filter((t): t is number => t !== undefined) };
    }
    case "memory":
      return { done: "memory", usage: Deno.memoryUsage() };
  }
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
