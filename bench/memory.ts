/**
 * Rendezvous memory per peer: the RSS of a rendezvous in its own process, idle and then with
 * `peers` client nodes connected, each registered, logged in, registered in the rendezvous
 * namespace with a signed peer record (its rendezvous stream kept open) and subscribed to
 * presence, as a real peer is: following its contacts (here the FOLLOWED_NEIGHBOURS peers on
 * either side of it in joining order) and sending the presence heartbeat. Peers join in batches;
 * after each batch the bench waits until every peer has heard of each followed peer online, so
 * the presence fan-out never piles up.
 */
import { join } from "node:path";
import { sealPeerRecord } from "../src/net/peer_record.ts";
import { DiscoveryClient } from "../src/peer/clients/discovery.ts";
import { type PresenceFeed, subscribePresence } from "../src/peer/clients/presence.ts";
import { RENDEZVOUS_V8_FLAGS } from "../src/rendezvous/v8_flags.ts";
import {
  type BenchPeer,
  CHEAP_STRETCHING,
  registerAndLogin,
  startClient,
  stopClients,
} from "./clients.ts";
import { BENCH_NAMESPACE, benchAddress } from "./discover.ts";
import { type ProfileSummary, summarize } from "./cpu_profile.ts";
import { EchoSession } from "./echo.ts";
import { type BeatWindow, Heartbeats, RAW_HEARTBEAT_BYTES } from "./heartbeats.ts";
import { cpuPercentOver } from "./measure.ts";
import type { Memory } from "./proc.ts";
import { type HeapUsage, type ServerProcess, spawnServerProcess } from "./server_process.ts";

/** The server's memory at one moment. */
export interface MemorySample extends Memory {
  /** V8 heap after a full GC. */
  readonly heap: HeapUsage;
}

/** What the memory measurement found. */
export interface MemoryResult {
  readonly peers: number;
  /** After start-up, a settle and a full GC. */
  readonly idle: MemorySample;
  /** Server CPU use with no peer connected, % of one core (the process's own floor). */
  readonly idleCpuPercent: number;
  /** With every peer joined and every presence event delivered, after a settle. */
  readonly loaded: Memory;
  /** The same after a full GC. */
  readonly loadedAfterGc: MemorySample;
  /** Time to join all peers, presence fan-out included. */
  readonly joinSeconds: number;
  /** Server CPU time spent while the peers joined. */
  readonly serverCpuMs: number;
  /** Server CPU use with every peer connected and heartbeating, and the heartbeats sent. */
  readonly rest: BeatWindow;
  /** The same with every peer connected and silent (no heartbeat in the window), % of one core. */
  readonly quietCpuPercent: number;
  /** The same with every peer heartbeating FAST_FACTOR times as often. */
  readonly fast: BeatWindow;
  /** A CPU profile of another heartbeating window: where the rest CPU goes. */
  readonly restProfile: RestProfile;
  /** The raw baseline of `rest` and `fast`. */
  readonly raw: RawRest;
}

/**
 * The rest CPU's raw baseline: a plain libp2p node (the rendezvous's stack, node limits and V8
 * flags, no tincan protocol) with the same peers connected, each doing one tiny echo round trip
 * on a long-lived stream at the heartbeat's schedule.
 */
export interface RawRest {
  readonly rest: BeatWindow;
  readonly fast: BeatWindow;
}

/** The rest CPU's profile, per heartbeat answered in the profiled window. */
export interface RestProfile {
  readonly heartbeats: number;
  readonly summary: ProfileSummary;
  /** A profile of a window with every peer silent (no heartbeat): the cost of being connected. */
  readonly quiet: ProfileSummary;
}

/**
 * Environment variable naming a directory: when set, the memory bench keeps its rest profiles
 * there (rest.cpuprofile, quiet.cpuprofile) for bench/cpu_profile.ts or a profile viewer.
 */
export const REST_PROFILE_ENV = "TINCAN_BENCH_REST_PROFILE_DIR";

/** How the memory measurement runs. */
export interface MemoryOptions {
  readonly peers: number;
  /** Peers joining at once. */
  readonly batch: number;
  /** The whole measurement is abandoned past this. */
  readonly timeoutMs: number;
  /** Hears how many peers have joined, now and then. */
  readonly progress?: (joined: number, seconds: number) => void;
}

interface JoinedPeer {
  readonly index: number;
  readonly peer: BenchPeer;
  feed?: PresenceFeed;
  discovery?: DiscoveryClient;
  /** Online events received on the presence feed. */
  online: number;
  /** Why the presence feed ended, if it did. */
  ended?: string;
}

const SETTLE_MS = 3_000;
/**
 * The pause after the join before the rest windows: V8's collection of what the join allocated
 * (measured: it raised the first window's CPU use by several % of a core at 1,000 peers).
 */
const JOIN_SETTLE_MS = 20_000;
/**
 * Time over which the server's CPU use at rest (presence heartbeats) is measured: longer than
 * one heartbeat interval, so every peer beats in it at least once.
 */
const REST_MS = 30_000;
/**
 * The silent window: every peer beats once at its start, then nothing until QUIET_BUDGET_MS after
 * that burst began (what is left after the burst's answers and a settle is measured, at least
 * MIN_QUIET_MS), then once more — well within the rendezvous' silence limit.
 */
const QUIET_BUDGET_MS = 20_000;
const MIN_QUIET_MS = 8_000;

/**
 * In one more window every peer beats this many times as often: the growth of the server's CPU
 * use with the heartbeat rate is the cost of a heartbeat, apart from what being connected costs.
 */
const FAST_FACTOR = 4;
/** Each peer follows this many peers before it and after it in joining order (its contacts). */
export const FOLLOWED_NEIGHBOURS = 10;
const PROGRESS_EVERY_PEERS = 200;

/**
 * Measures the rendezvous RSS idle and with `peers` joined.
 * @throws Error when joining takes longer than `timeoutMs`, or a peer cannot join.
 */
export async function benchRendezvousMemory(options: MemoryOptions): Promise<MemoryResult> {
  const dataDir = await Deno.makeTempDir({ prefix: "tincan-bench-memory-" });
  const joined: JoinedPeer[] = [];
  const heartbeats = new Heartbeats();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServerProcess(new URL("./rendezvous_process.ts", import.meta.url), [
      "--data-dir",
      join(dataDir, "rendezvous"),
    ]);
    await sleep(SETTLE_MS);
    const idle = await sample(server);
    const idleCpuPercent = await cpuPercentOver(server, MIN_QUIET_MS);
    const cpuBefore = await server.cpuMs();
    const start = performance.now();
    await joinAll(server, joined, heartbeats, options);
    const joinSeconds = (performance.now() - start) / 1000;
    const serverCpuMs = await server.cpuMs() - cpuBefore;
    await sleep(JOIN_SETTLE_MS);
    const rest = await heartbeats.window(server, REST_MS);
    const rendezvous = server;
    const quietCpuPercent = await silently(heartbeats, (ms) => cpuPercentOver(rendezvous, ms));
    const fast = await heartbeats.faster(server, REST_MS, FAST_FACTOR, SETTLE_MS);
    const restProfile = await profileRest(server, heartbeats, dataDir);
    const loaded = await server.memory();
    const loadedAfterGc = await sample(server);
    heartbeats.stop();
    await server.stop();
    server = undefined;
    const raw = await rawRest(joined.map((j) => j.peer), options.batch);
    return {
      peers: options.peers,
      idle,
      idleCpuPercent,
      loaded,
      loadedAfterGc,
      joinSeconds,
      serverCpuMs,
      rest,
      quietCpuPercent,
      fast,
      restProfile,
      raw,
    };
  } finally {
    await server?.stop();
    heartbeats.stop();
    await Promise.all(joined.map((j) => j.discovery?.close().catch(() => {})));
    await stopClients(joined.map((j) => j.peer));
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/**
 * The raw baseline of the rest windows: `peers` connect to a plain libp2p node built as the
 * rendezvous's is (echo_process.ts --server, the rendezvous's V8 flags), each opens one
 * long-lived echo stream and makes one RAW_HEARTBEAT_BYTES round trip on it on the heartbeat's
 * schedule; its CPU use is measured as the rendezvous's was, at that rate and FAST_FACTOR times it.
 */
async function rawRest(peers: readonly BenchPeer[], batchSize: number): Promise<RawRest> {
  const echo = await spawnServerProcess(new URL("./echo_process.ts", import.meta.url), [
    "--server",
  ], { v8Flags: RENDEZVOUS_V8_FLAGS });
  const heartbeats = new Heartbeats();
  const sessions: EchoSession[] = [];
  try {
    const payload = new Uint8Array(RAW_HEARTBEAT_BYTES);
    let failed: Error | undefined;
    for (let first = 0; first < peers.length; first += batchSize) {
      const batch = peers.slice(first, first + batchSize);
      const opened = await Promise.all(batch.map((p) => EchoSession.open(p.node, echo.address)));
      for (const session of opened) {
        sessions.push(session);
        heartbeats.add({ ask: () => session.roundTrip(payload) }, (reason) => failed ??= reason);
      }
    }
    await sleep(JOIN_SETTLE_MS);
    const rest = await heartbeats.window(echo, REST_MS);
    const fast = await heartbeats.faster(echo, REST_MS, FAST_FACTOR, SETTLE_MS);
    if (failed !== undefined) {
      throw new Error(`A raw baseline echo stream stopped: ${failed.message}`, { cause: failed });
    }
    return { rest, fast };
  } finally {
    heartbeats.stop();
    await Promise.all(sessions.map((s) => s.close()));
    await echo.stop();
  }
}

/**
 * Runs `work(ms)` with every peer connected and silent: the heartbeats stop, every peer beats
 * once (so the silence limit counts from now), `work` gets what is left of QUIET_BUDGET_MS after
 * those answers and a settle, then every peer beats once more and its heartbeat starts again.
 * @throws Error when the answers take so long that less than MIN_QUIET_MS would be left.
 */
async function silently<T>(
  heartbeats: Heartbeats,
  work: (ms: number) => Promise<T>,
): Promise<T> {
  heartbeats.stop();
  const start = performance.now();
  try {
    await heartbeats.beatOnce();
    await sleep(SETTLE_MS); // the burst's answers and their garbage are gone
    const ms = QUIET_BUDGET_MS - (performance.now() - start);
    if (ms < MIN_QUIET_MS) {
      throw new Error(
        `Rendezvous memory bench: the rendezvous took ${
          ((performance.now() - start - SETTLE_MS) / 1000).toFixed(1)
        } s to answer one heartbeat from every peer; no silent window fits in its silence limit`,
      );
    }
    return await work(ms);
  } finally {
    await heartbeats.restart();
  }
}

/** Has the server take a CPU profile over `ms` and keep it in `dir`; returns its path. */
async function profile(
  server: ServerProcess,
  dir: string,
  name: string,
  ms: number,
): Promise<string> {
  const path = join(Deno.env.get(REST_PROFILE_ENV) ?? dir, `${name}.cpuprofile`);
  await server.startCpuProfile();
  await sleep(ms);
  await server.stopCpuProfile(path);
  return path;
}

/** Reads and summarizes a profile (after the silent window: parsing blocks the bench a while). */
async function summarizeFile(path: string): Promise<ProfileSummary> {
  return summarize(JSON.parse(await Deno.readTextFile(path)));
}

/** CPU profiles of the server at rest: over REST_MS heartbeating, then silent. */
async function profileRest(
  server: ServerProcess,
  heartbeats: Heartbeats,
  dir: string,
): Promise<RestProfile> {
  const beatsBefore = heartbeats.sent;
  const rest = await profile(server, dir, "rest", REST_MS);
  const beats = heartbeats.sent - beatsBefore;
  const quiet = await silently(heartbeats, (ms) => profile(server, dir, "quiet", ms));
  return {
    heartbeats: beats,
    summary: await summarizeFile(rest),
    quiet: await summarizeFile(quiet),
  };
}

async function sample(server: ServerProcess): Promise<MemorySample> {
  const heap = await server.collectGarbage();
  return { ...await server.memory(), heap };
}

/** Joins `options.peers` peers, a batch at a time, each batch's presence settled. */
async function joinAll(
  server: ServerProcess,
  joined: JoinedPeer[],
  heartbeats: Heartbeats,
  options: MemoryOptions,
): Promise<void> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const start = performance.now();
  for (let first = 0; first < options.peers; first += options.batch) {
    const last = Math.min(first + options.batch, options.peers);
    const batch = Array.from(
      { length: last - first },
      (_, k) => joinOne(server, first + k, options.peers, joined, heartbeats),
    );
    await untilDeadline(
      Promise.all(batch),
      deadline,
      () => `${joined.length} of ${options.peers} peers had started joining`,
      options.timeoutMs,
    );
    await waitForPresence(joined, options.peers, deadline, options.timeoutMs);
    if (last % PROGRESS_EVERY_PEERS === 0 || last === options.peers) {
      options.progress?.(last, (performance.now() - start) / 1000);
    }
  }
}

/** Starts peer `i`, logs it in, registers it in the namespace, subscribes it to presence. */
async function joinOne(
  server: ServerProcess,
  i: number,
  peers: number,
  joined: JoinedPeer[],
  heartbeats: Heartbeats,
): Promise<void> {
  const peer = await startClient(`mem-${i}`);
  const entry: JoinedPeer = { index: i, peer, online: 0 };
  joined.push(entry);
  const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err: unknown) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new Error(`Peer ${peer.username} could not ${what}: ${reason}`, { cause: err });
    }
  };
  await step("register and log in", () => registerAndLogin(peer, server.address, CHEAP_STRETCHING));
  const discovery = await step("open the rendezvous stream", async () => {
    entry.discovery = await DiscoveryClient.open(peer.node, server.address);
    return entry.discovery;
  });
  const record = await sealPeerRecord(peer.key, [benchAddress(i)], 1n);
  await step("REGISTER", () => discovery.register(BENCH_NAMESPACE, record));
  const feed = await step(
    "subscribe to presence",
    () => subscribePresence(peer.node, server.address, followedBy(i, peers).map((j) => `mem-${j}`)),
  );
  entry.feed = feed;
  heartbeats.add(
    { ask: () => feed.heartbeat() },
    (reason) => entry.ended = `heartbeat: ${reason.message}`,
  );
  void countOnlineEvents(entry, feed);
}

async function countOnlineEvents(entry: JoinedPeer, feed: PresenceFeed): Promise<void> {
  try {
    for await (const event of feed.events) if (event.online) entry.online++;
    entry.ended = "closed";
  } catch (err: unknown) {
    entry.ended = err instanceof Error ? err.message : String(err);
  }
}

/** The peers peer `i` of `peers` follows: its FOLLOWED_NEIGHBOURS neighbours on either side. */
function followedBy(i: number, peers: number): number[] {
  const first = Math.max(0, i - FOLLOWED_NEIGHBOURS);
  const last = Math.min(peers - 1, i + FOLLOWED_NEIGHBOURS);
  return Array.from({ length: last - first + 1 }, (_, k) => first + k).filter((j) => j !== i);
}

/** Waits until every joined peer has heard that each joined peer it follows is online. */
async function waitForPresence(
  joined: readonly JoinedPeer[],
  peers: number,
  deadline: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  const present = new Set(joined.map((j) => j.index));
  const expected = joined.reduce(
    (sum, j) => sum + followedBy(j.index, peers).filter((k) => present.has(k)).length,
    0,
  );
  const received = () => joined.reduce((sum, j) => sum + j.online, 0);
  while (received() < expected) {
    if (deadline.aborted) {
      throw timeoutError(
        `${received()} of ${expected} presence events delivered; ${describeFeeds(joined)}`,
        timeoutMs,
      );
    }
    await sleep(20);
  }
}

/** A summary of the presence feeds, for the timeout message. */
function describeFeeds(joined: readonly JoinedPeer[]): string {
  const counts = joined.map((j) => j.online);
  const ended = joined.filter((j) => j.ended !== undefined);
  const connected = joined.filter((j) => j.peer.node.getConnections().length > 0).length;
  const reasons = [...new Set(ended.map((j) => j.ended))].slice(0, 3).join("; ");
  return `per peer ${Math.min(...counts)}..${Math.max(...counts)} events, ` +
    `${ended.length} feeds ended${reasons ? ` (${reasons})` : ""}, ` +
    `${connected} of ${joined.length} peers connected`;
}

async function untilDeadline<T>(
  work: Promise<T>,
  deadline: AbortSignal,
  progress: () => string,
  timeoutMs: number,
): Promise<T> {
  work.catch(() => {}); // a late failure after the deadline is not unhandled
  if (deadline.aborted) throw timeoutError(progress(), timeoutMs);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(timeoutError(progress(), timeoutMs));
    deadline.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    deadline.removeEventListener("abort", onAbort!);
  }
}

function timeoutError(progress: string, timeoutMs: number): Error {
  return new Error(`Rendezvous memory bench aborted after ${timeoutMs / 1000} s: ${progress}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
