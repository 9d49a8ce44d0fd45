/** The scale bench's report section: memory per peer by stage, join rate, CPU at rest, presence. */
import type { Row, Section } from "./report.ts";
import type { ScaleResult } from "./scale.ts";
import type { StageCost } from "./scale_figures.ts";
import { PRESENCE_BY_INTEREST } from "./scale_presence.ts";

/** Formats a scale run as a section. */
export function scaleSection(r: ScaleResult): Section {
  const rawRss = r.raw.reduce((sum, c) => sum + c.rssKiB, 0);
  const raw = { label: "raw libp2p connection", value: rawRss };
  const perPeer = r.costs.reduce((sum, c) => sum + c.rssKiB * (peersOf(r, c) / r.peers), 0);
  const last = r.stages.at(-1)!;
  const idle = r.stages[0]!;
  const rows: Row[] = [
    ...r.raw.map((c) => costRow(`raw: ${c.stage}, plain libp2p node`, c)),
    ...r.costs.map((c) => costRow(c.stage, c, raw)),
    {
      label: `RSS per logged-in peer, all stages ((RSS_N - RSS_idle) / ${r.peers})`,
      value: (last.rssKiB - idle.rssKiB) / r.peers,
      unit: "KiB/peer",
      baseline: raw,
    },
    { label: "  the same, summed from the stages above", value: perPeer, unit: "KiB/peer" },
    { label: `rendezvous RSS with ${r.peers} peers`, value: last.rssKiB / 1024, unit: "MiB" },
    ...r.stageCpu.map((c) => ({
      label: `rendezvous CPU per peer: ${c.stage}`,
      value: c.msPerPeer,
      unit: "ms",
    })),
    {
      label: "  … a join (connect + log in): joins/s one core sustains at that CPU",
      value: 1000 / joinCpuMs(r),
      unit: "joins/s",
      serverCpuMsPerOp: joinCpuMs(r),
    },
    {
      label: "accounts registered, whole run",
      value: r.peers / r.accountSeconds,
      unit: "accounts/s",
    },
    {
      label: "join rate (log in, connected and registered), whole run",
      value: r.peers / r.joinSeconds,
      unit: "joins/s",
      serverCpuMsPerOp: r.joinCpuMs / r.peers,
      serverCpuPercent: r.joinCpuMs / (r.joinSeconds * 10),
    },
    ...r.joins.map((s, i) => ({
      label: `  joins ${i === 0 ? 1 : r.joins[i - 1]!.upTo + 1}–${s.upTo}`,
      value: s.perSecond,
      unit: "joins/s",
    })),
    {
      label: `${r.subscribers} presence subscriptions opened (one at a time${
        PRESENCE_BY_INTEREST ? " per process" : ""
      })`,
      value: r.subscribers / r.subscribeSeconds,
      unit: "subs/s",
    },
    {
      label: `rendezvous CPU at rest, ${r.peers} logged in`,
      value: r.restCpuPercent,
      unit: "% of a core",
      baseline: { label: "raw at rest", value: r.rawRestCpuPercent },
    },
    {
      label: `  raw: a plain libp2p node, ${r.peers} connected, an echo round trip per heartbeat`,
      value: r.rawRestCpuPercent,
      unit: "% of a core",
    },
    ...(r.online
      ? [
        latencyRow(`${r.watchers} watchers hear a user go online, p50`, r.online.p50, r.login.p50),
        latencyRow(`${r.watchers} watchers hear a user go online, p99`, r.online.p99, r.login.p50),
      ]
      : []),
    { label: `  … the user's own login (connect + OPAQUE), p50`, value: r.login.p50, unit: "ms" },
    ...(r.offline
      ? [
        { label: "  … heard offline after it hangs up, p50", value: r.offline.p50, unit: "ms" },
        { label: "  … heard offline after it hangs up, p99", value: r.offline.p99, unit: "ms" },
      ]
      : []),
  ];
  return {
    title: `Rendezvous at scale: ${r.peers} peers in ${r.processes} client processes, ` +
      "rendezvous in its own process (/proc VmRSS, V8 figures after a full GC)",
    rows,
    notes: [
      "memory rows: KiB per peer each stage added (RSS; V8 live heap and external/ArrayBuffer " +
      "in the label); the rest of RSS is native (Deno's Rust side, sockets, the allocator)",
      PRESENCE_BY_INTEREST
        ? `presence by interest: every peer subscribes, ${r.watchers} of them follow the user`
        : `presence is broadcast (main): every subscriber hears every login, so only the ` +
          `${r.subscribers} watchers subscribe (10,000 subscribers would be 10^8 events); the ` +
          "presence row is per subscriber",
      `latency: from the user's login starting (a new connection) to each watcher's event, ` +
      `${(r.online?.samples ?? 0) / r.watchers} rounds pooled; ${r.missed} events missed; ` +
      `${r.deadHeartbeats} subscriptions had lost their heartbeat by the last round`,
      "rendezvous CPU per stage: /proc CPU time over the stage and a settle after it, divided by " +
      "the peers it served; the share of each part of the code is in the CPU profile " +
      "(TINCAN_BENCH_CPU_PROF=DIR, then bench/cpu_profile.ts --per PEERS --segments-gap-ms 1500)",
      `${r.retries} steps (dials, logins, REGISTERs, subscriptions) timed out or found their ` +
      "connection dropped on the loaded machine and were retried",
      "liveness: no libp2p pings; every subscribed peer sends the presence heartbeat (20 s ± 20 %), " +
      "which the CPU at rest includes; the raw node at rest gets one echo round trip per " +
      "heartbeat on a long-lived stream from every peer, on the same schedule",
      `client processes' RSS at the end: ${(r.clientRssKiB / 1024).toFixed(0)} MiB`,
    ],
  };
}

/** Rendezvous CPU of one join: its connection and its login (the account exists). */
function joinCpuMs(r: ScaleResult): number {
  const of = (prefix: string) => r.stageCpu.find((c) => c.stage.startsWith(prefix))?.msPerPeer ?? 0;
  return of("connect") + of("log in");
}

function peersOf(r: ScaleResult, cost: StageCost): number {
  return r.stages.find((s) => s.stage === cost.stage)?.peers ?? r.peers;
}

function costRow(label: string, c: StageCost, baseline?: Row["baseline"]): Row {
  return {
    label: `${label} (heap ${c.heapKiB.toFixed(1)}, external ${c.externalKiB.toFixed(1)})`,
    value: c.rssKiB,
    unit: "KiB/peer",
    ...(baseline ? { baseline } : {}),
  };
}

function latencyRow(label: string, value: number, loginMs: number): Row {
  return { label, value, unit: "ms", baseline: { label: "the user's login", value: loginMs } };
}
