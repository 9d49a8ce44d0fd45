/**
 * The rendezvous at scale: `peers` simulated peers spread over client processes
 * (scale_worker_process.ts) join one rendezvous in its own process, stage by stage, and the
 * rendezvous's memory is sampled after each stage (after a full GC), so the cost of each part of a
 * logged-in peer shows: its raw libp2p connection, its login, its rendezvous-protocol stream, its
 * presence stream. The raw baseline is the same connections to a plain libp2p node. Then: the
 * rendezvous's CPU at rest, and how long `watchers` followers of one user take to hear it go online.
 */
import { join } from "node:path";
import { login } from "../src/peer/clients/account.ts";
import {
  type BenchPeer,
  CHEAP_STRETCHING,
  LOGINS_IN_FLIGHT,
  registerAndLogin,
  startClient,
  stopClients,
} from "./clients.ts";
import { cpuPercentOver } from "./measure.ts";
import { PRESENCE_HEARTBEAT } from "../src/protocol/limits.ts";
import { type Latency, latency } from "./messages.ts";
import {
  type JoinStep,
  joinSteps,
  type StageCost,
  stageCosts,
  type StageMemory,
} from "./scale_figures.ts";
import { PRESENCE_BY_INTEREST } from "./scale_presence.ts";
import { type ScaleReply, wallClockMs } from "./scale_protocol.ts";
import { ScaleWorkers } from "./scale_workers.ts";
import { type ServerProcess, spawnServerProcess } from "./server_process.ts";

/** How the scale bench runs. */
export interface ScaleOptions {
  readonly peers: number;
  /** Client processes the peers are spread over. */
  readonly processes: number;
  /** Followers of the user whose presence latency is measured (at most `peers`). */
  readonly watchers: number;
  /** Times the user goes online (and offline again) for the latency figures. */
  readonly rounds: number;
  /** Time over which the rendezvous's CPU at rest is measured. */
  readonly restSeconds: number;
  /** Peers per step of the join-rate figures. */
  readonly joinStep: number;
  /** Wait before each memory sample (SETTLE_MS unless given; tests shorten it). */
  readonly settleMs?: number;
  readonly progress?: (message: string) => void;
}

/** What the scale bench found. */
export interface ScaleResult {
  readonly peers: number;
  readonly processes: number;
  readonly watchers: number;
  /** Peers holding a presence stream: all of them, or only the watchers under broadcast. */
  readonly subscribers: number;
  /** A plain libp2p node: idle, then with every peer connected. */
  readonly raw: readonly StageCost[];
  /**
   * That node's CPU with every peer connected and making one echo round trip on a long-lived
   * stream on the heartbeat's schedule, % of a core: the raw baseline of `restCpuPercent`.
   */
  readonly rawRestCpuPercent: number;
  /** The rendezvous: idle, connected, logged in, registered, subscribed. */
  readonly stages: readonly StageMemory[];
  readonly costs: readonly StageCost[];
  /** Rendezvous CPU time of each stage divided by the peers it took through it (not wall time). */
  readonly stageCpu: readonly StageCpu[];
  /** Time for every peer to register its account. */
  readonly accountSeconds: number;
  /** Time for every peer (registered) to log in: the join. */
  readonly joinSeconds: number;
  readonly joins: readonly JoinStep[];
  /** Rendezvous CPU during the logins, ms. */
  readonly joinCpuMs: number;
  /** Steps (dials, logins, REGISTERs, subscriptions) that failed and were retried, re-logins too. */
  readonly retries: number;
  /** Time for every subscriber to open its presence stream and hear everyone online. */
  readonly subscribeSeconds: number;
  /** Rendezvous CPU with everyone joined and nothing happening, % of a core. */
  readonly restCpuPercent: number;
  /** From the user's login starting to each watcher hearing it online, ms; none if none heard. */
  readonly online: Latency | undefined;
  /** From the user's connection closing to each watcher hearing it offline, ms; none if none heard. */
  readonly offline: Latency | undefined;
  /** The user's own login, start to answer (the baseline of `online`), ms. */
  readonly login: Latency;
  /** Watchers that did not hear a change within COLLECT_TIMEOUT_MS, over all rounds. */
  readonly missed: number;
  /** Subscriptions whose heartbeat went unanswered (their connection dropped) by the last round. */
  readonly deadHeartbeats: number;
  /** RSS of all client processes at the end, KiB. */
  readonly clientRssKiB: number;
  /** The processes it ran (client processes and servers), all ended when it returns. */
  readonly pids: readonly number[];
}

/** The rendezvous's CPU time for one stage, per peer. */
export interface StageCpu {
  readonly stage: string;
  readonly msPerPeer: number;
}

/** Time for the servers to finish what a stage started before their memory is sampled. */
export const SETTLE_MS = 2_000;
const COLLECT_TIMEOUT_MS = 60_000;
const TARGET = "scale-target";
const TARGET_LOGIN_ATTEMPTS = 3;

/**
 * Runs the scale bench.
 * @throws Error when a worker or a server fails; every process it started is stopped first.
 */
export async function benchScale(options: ScaleOptions): Promise<ScaleResult> {
  const progress = options.progress ?? (() => {});
  const watchers = Math.min(options.watchers, options.peers);
  const settleMs = options.settleMs ?? SETTLE_MS;
  const stage = (server: ServerProcess, name: string, peers: number) =>
    sample(server, name, peers, settleMs);
  const dataDir = await Deno.makeTempDir({ prefix: "tincan-bench-scale-" });
  let workers: ScaleWorkers | undefined;
  let server: ServerProcess | undefined;
  let target: BenchPeer | undefined;
  try {
    progress(`starting ${options.peers} client nodes in ${options.processes} processes`);
    workers = await ScaleWorkers.spawn({
      peers: options.peers,
      processes: options.processes,
      prefix: "scale",
      // Every worker logs in from 127.0.0.1: the rendezvous's per-address throttle is shared.
      slots: Math.max(1, Math.floor(LOGINS_IN_FLIGHT / options.processes)),
    });
    progress("raw baseline: the same connections to a plain libp2p node");
    const pids = workers.workers.map((w) => w.pid);
    const raw = await rawConnections(workers, settleMs, pids, options.restSeconds);

    server = await spawnServerProcess(new URL("./rendezvous_process.ts", import.meta.url), [
      "--data-dir",
      join(dataDir, "rendezvous"),
    ]);
    pids.push(server.pid);
    const to = server.address.toString();
    const stages: StageMemory[] = [await stage(server, "idle", 0)];
    const stageCpu: StageCpu[] = [];
    // The server's CPU time over `work` and a settle after it, per peer it served (the memory
    // samples' GC falls outside it); `seconds` is the work's wall time.
    const cpuOf = async <T>(name: string, peers: number, work: () => Promise<T>) => {
      const before = await server!.cpuMs();
      const t0 = performance.now();
      const result = await work();
      const seconds = (performance.now() - t0) / 1000;
      await sleep(settleMs);
      stageCpu.push({ stage: name, msPerPeer: (await server!.cpuMs() - before) / peers });
      return { result, seconds };
    };
    progress("rendezvous: connecting");
    let retries = retriesOf(
      (await cpuOf(
        "connect (TCP accept, Noise, Yamux; identify answered)",
        workers.peers,
        () => workers!.all({ do: "connect", to }),
      )).result,
    );
    stages.push(
      await stage(server, "libp2p connection (Noise, Yamux, identify)", workers.peers),
    );

    progress("rendezvous: registering accounts");
    const accounts = await cpuOf(
      "register an account (OPAQUE registration, key log, certificate)",
      workers.peers,
      () => workers!.all({ do: "account", to }),
    );
    retries += retriesOf(accounts.result);

    progress("rendezvous: logging in");
    const cpuBefore = await server.cpuMs();
    const start = wallClockMs();
    const logins = await workers.all({ do: "login", to });
    const joinSeconds = (wallClockMs() - start) / 1000;
    const joinCpuMs = await server.cpuMs() - cpuBefore;
    stageCpu.push({
      stage: "log in (OPAQUE login, certificate, logged-in table)",
      msPerPeer: joinCpuMs / workers.peers,
    });
    const joinedAt = logins.flatMap((r) => r.done === "login" ? r.joinedAt : []);
    retries += retriesOf(logins);
    stages.push(await stage(server, "+ account, login", workers.peers));

    progress("rendezvous: REGISTER over a kept rendezvous-protocol stream");
    retries += retriesOf(
      (await cpuOf(
        "REGISTER (rendezvous stream, signed peer record)",
        workers.peers,
        () => workers!.all({ do: "register", to }),
      )).result,
    );
    stages.push(await stage(server, "+ rendezvous stream, REGISTER", workers.peers));

    target = await startClient(TARGET);
    await registerAndLogin(target, server.address, CHEAP_STRETCHING);
    await target.node.hangUp(server.address);
    const subscribers = PRESENCE_BY_INTEREST ? options.peers : watchers;
    progress(`rendezvous: ${subscribers} presence subscriptions (${watchers} follow ${TARGET})`);
    const shares = share(workers, subscribers);
    const watching = share(workers, watchers);
    // Under broadcast each subscription is answered with everyone online: one at a time in all,
    // or those dumps pile up and a new subscription's first event misses its read timeout.
    const subscribed = await cpuOf(
      "presence subscription (FOLLOW, mail check)",
      subscribers,
      () =>
        (PRESENCE_BY_INTEREST ? workers!.each.bind(workers) : workers!.inTurn.bind(workers))(
          (w) => ({
            do: "presence",
            to,
            subscribers: shares.get(w.prefix)!,
            watchers: watching.get(w.prefix)!,
            user: TARGET,
          }),
        ),
    );
    retries += retriesOf(subscribed.result);
    stages.push(await stage(server, "+ presence stream", subscribers));

    progress(`rendezvous at rest for ${options.restSeconds} s`);
    const restCpuPercent = await cpuPercentOver(server, options.restSeconds * 1000);

    progress(`presence latency: ${TARGET} online/offline ${options.rounds} times`);
    const online: number[] = [];
    const offline: number[] = [];
    const loginMs: number[] = [];
    let missed = 0;
    let deadHeartbeats = 0;
    const round = async (isOnline: boolean, change: () => Promise<void>, into: number[]) => {
      await workers!.each((w) => ({
        do: "arm",
        watchers: watching.get(w.prefix)!,
        user: TARGET,
        online: isOnline,
      }));
      const t0 = wallClockMs();
      await change();
      const heard = await workers!.each((w) => ({
        do: "collect",
        watchers: watching.get(w.prefix)!,
        timeoutMs: COLLECT_TIMEOUT_MS,
      }));
      const times = heard.flatMap((r) => r.done === "collect" ? r.seenAt : []);
      deadHeartbeats = heard.reduce((n, r) => n + (r.done === "collect" ? r.dead : 0), 0);
      missed += watchers - times.length;
      into.push(...times.map((t) => t - t0));
    };
    for (let r = 0; r < options.rounds; r++) {
      await round(true, async () => {
        // On the loaded machine a login now and then times out: the round then takes the next.
        for (let attempt = 1;; attempt++) {
          const t0 = wallClockMs();
          try {
            await login(target!.node, server!.address, TARGET, target!.password, CHEAP_STRETCHING);
            loginMs.push(wallClockMs() - t0);
            return;
          } catch (err: unknown) {
            if (attempt >= TARGET_LOGIN_ATTEMPTS) throw err;
            retries++;
          }
        }
      }, online);
      await round(false, () => target!.node.hangUp(server!.address), offline);
    }
    const clientRssKiB = await workers.rssKiB();
    return {
      peers: options.peers,
      processes: options.processes,
      watchers,
      subscribers,
      raw: raw.costs,
      rawRestCpuPercent: raw.restCpuPercent,
      stages,
      costs: stageCosts(stages),
      stageCpu,
      accountSeconds: accounts.seconds,
      joinSeconds,
      joins: joinSteps(joinedAt, start, options.joinStep),
      joinCpuMs,
      retries,
      subscribeSeconds: subscribed.seconds,
      restCpuPercent,
      // A run whose watchers all lost their connections still reports its other figures.
      online: online.length === 0 ? undefined : latency(online),
      offline: offline.length === 0 ? undefined : latency(offline),
      login: latency(loginMs),
      missed,
      deadHeartbeats,
      clientRssKiB,
      pids,
    };
  } finally {
    if (target) await stopClients([target]);
    await workers?.stop();
    await server?.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/** The rendezvous's memory after a settle and a full GC; `peers` divides its difference. */
async function sample(
  server: ServerProcess,
  name: string,
  peers: number,
  settleMs: number,
): Promise<StageMemory> {
  await sleep(settleMs);
  const heap = await server.collectGarbage();
  const { rssKiB } = await server.memory();
  return { stage: name, peers, rssKiB, heapUsed: heap.heapUsed, external: heap.external };
}

/**
 * Every peer connected to a plain libp2p node (no tincan protocols): what each connection costs;
 * then its CPU over `restSeconds` with every peer making one echo round trip on a long-lived
 * stream on the heartbeat's schedule (after one longest pause, so that every peer has beaten, or
 * restSeconds when shorter).
 */
async function rawConnections(
  workers: ScaleWorkers,
  settleMs: number,
  pids: number[],
  restSeconds: number,
): Promise<{ costs: StageCost[]; restCpuPercent: number }> {
  const echo = await spawnServerProcess(new URL("./echo_process.ts", import.meta.url), []);
  pids.push(echo.pid);
  try {
    const to = echo.address.toString();
    const idle = await sample(echo, "idle", 0, settleMs);
    await workers.all({ do: "connect", to });
    const connected = await sample(echo, "raw libp2p connection", workers.peers, settleMs);
    await workers.all({ do: "echo", to });
    await sleep(Math.min(PRESENCE_HEARTBEAT.maxIntervalMs, restSeconds * 1000)); // a test: short
    const restCpuPercent = await cpuPercentOver(echo, restSeconds * 1000);
    await workers.all({ do: "hangup", to });
    return { costs: stageCosts([idle, connected]), restCpuPercent };
  } finally {
    await echo.stop();
  }
}

/** The retries the workers' connect or login replies report, summed. */
function retriesOf(replies: readonly ScaleReply[]): number {
  return replies.reduce((sum, r) => sum + ("retries" in r ? r.retries : 0), 0);
}

/** `total` (at most all peers) divided evenly among the workers, by worker prefix. */
function share(workers: ScaleWorkers, total: number): Map<string, number> {
  const shares = new Map<string, number>();
  let left = total;
  workers.workers.forEach((w, i) => {
    const n = Math.min(w.count, Math.ceil(left / (workers.workers.length - i)));
    shares.set(w.prefix, n);
    left -= n;
  });
  return shares;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
