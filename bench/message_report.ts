/** Report sections of the chat message benchmarks and of the primitives micro-benchmark. */
import { type CostKind, DH_STEP, type PrimitiveCosts, type StepCost } from "./message_costs.ts";
import type { Latency, MessageResult } from "./messages.ts";
import type { Row as PrimitiveRow } from "./primitives.ts";
import type { Row, Section } from "./report.ts";
import type { CpuShares, RoomResult } from "./rooms.ts";

/** Which implementation src/crypto/primitives.ts uses for each measured operation. */
const USED: Readonly<Record<string, "WebCrypto" | "noble" | "node:crypto">> = {
  "Ed25519 sign": "node:crypto",
  "Ed25519 verify (raw key)": "node:crypto",
  "X25519 (raw keys)": "node:crypto",
  "X25519 key pair (raw bytes out)": "node:crypto",
  "HMAC-SHA-256 (fresh key)": "noble",
  "HKDF-SHA-256 -> 64 B (fresh key)": "node:crypto",
  "AES-256-GCM seal 100 B (fresh key)": "node:crypto",
  "AES-256-GCM open 100 B (fresh key)": "node:crypto",
};

/** The per-message costs in isolation, one message per frame and `batch` per frame. */
export interface MessageCosts {
  readonly batch: number;
  readonly single: { readonly steps: readonly StepCost[]; readonly primitives: PrimitiveCosts };
  readonly batched: { readonly steps: readonly StepCost[]; readonly primitives: PrimitiveCosts };
}

/** The round-trip, pipelined, cost-breakdown and cost-by-kind sections. */
export function messageSections(m: MessageResult, costs: MessageCosts): Section[] {
  return [
    roundTripSection(m),
    criticalPathSection(m),
    pipelinedSection(m),
    costSection(m, costs),
    costKindSection(costs),
  ];
}

function latencyRows(label: string, full: Latency, raw: Latency): Row[] {
  return [
    { label: `${label}, p50`, value: full.p50, unit: "ms", baseline: rawP(raw, "p50") },
    { label: `${label}, p99`, value: full.p99, unit: "ms", baseline: rawP(raw, "p99") },
  ];
}

function rawP(raw: Latency, p: "p50" | "p99"): Row["baseline"] {
  return { label: `raw echo ${p}`, value: raw[p] };
}

function roundTripSection(m: MessageResult): Section {
  const n = m.reply.samples;
  const perRoundTrip = (ms: number) => ms / n;
  return {
    title: `Chat round trip, alice (bench process) ↔ bob (own process), ${n} round trips, ` +
      "rendezvous in its own process",
    rows: [
      ...latencyRows(
        "ping → pong: alice send … bob's reply's message event",
        m.reply,
        m.rawRoundTrip,
      ),
      ...latencyRows("ack: alice send … her delivered event (bob's Ack)", m.ack, m.rawRoundTrip),
      {
        label: `raw echo, one ${m.envelopeBytes}-byte frame, p50`,
        value: m.rawRoundTrip.p50,
        unit: "ms",
      },
      {
        label: `raw echo, one ${m.envelopeBytes}-byte frame, p99`,
        value: m.rawRoundTrip.p99,
        unit: "ms",
      },
      {
        label: "alice CPU per ping → pong",
        value: perRoundTrip(m.roundTripCpuMs.alice),
        unit: "ms",
      },
      { label: "bob CPU per ping → pong", value: perRoundTrip(m.roundTripCpuMs.bob), unit: "ms" },
      {
        label: "rendezvous CPU per ping → pong",
        value: perRoundTrip(m.roundTripCpuMs.rendezvous),
        unit: "ms",
      },
      {
        label: "Directory.resolve alone (lookup stream + certificate), p50",
        value: m.resolve.p50,
        unit: "ms",
        baseline: rawP(m.rawRoundTrip, "p50"),
      },
    ],
    notes: [
      "a ping → pong is 2 envelopes and 2 Acks, each envelope signed, verified, ratcheted and " +
      "stored (SQLite) before its Ack; a recipient is looked up at the rendezvous (the " +
      "Directory.resolve row) at most once a minute, so lookups are off the measured path",
      "bob replies from his message event; both peers run their own JavaScript thread, on the " +
      "2 cores the rendezvous and the other bench agents share",
    ],
  };
}

/**
 * The traced round trips' timeline: each step's median time from alice's send, and the time
 * since the step before it (a row per step, in order; "start … end" pairs bracket a call).
 */
function criticalPathSection(m: MessageResult): Section {
  const { rounds, steps } = m.timeline;
  let previous = 0;
  const rows: Row[] = steps.map((s) => {
    const since = s.medianMs - previous;
    previous = s.medianMs;
    return {
      label: `${s.side.padEnd(5)} ${s.step} (+${since.toFixed(3)})`,
      value: s.medianMs,
      unit: "ms",
    };
  });
  return {
    title: `Round trip critical path: ${rounds} traced ping → pong, median time of each step ` +
      "from alice's send (+ms since the step before; medians of different steps come from " +
      "different rounds, so a step can show before one it follows)",
    rows,
    notes: [
      "both processes stamp with the machine's clock; each traced call's promise adds a microtask, " +
      "so the traced round trip is a little slower than the untraced figures above",
      'the time between bob\'s "write frame … end" and alice\'s "read frame" (and back) is the ' +
      "network, libp2p (noise, yamux) and the receiver's event loop getting to it",
    ],
  };
}

function pipelinedSection(m: MessageResult): Section {
  const p = m.pipelined;
  const rawRate = m.rawPipelined.messages / m.rawPipelined.seconds;
  const perMessage = (ms: number) => ms / p.delivered;
  const rows: Row[] = [
    {
      label: `${p.messages} sent back to back, until all delivered (bob stored + acked)`,
      value: p.delivered / p.seconds,
      unit: "msg/s",
      baseline: { label: "raw pipelined echo", value: rawRate },
    },
    {
      label: "  Peer.send calls returned (outbox + history written)",
      value: p.messages / p.writeSeconds,
      unit: "msg/s",
    },
    {
      label:
        `raw: ${m.rawPipelined.messages} ${m.envelopeBytes}-byte frames pipelined on one stream`,
      value: rawRate,
      unit: "msg/s",
    },
    { label: "alice CPU per message", value: perMessage(p.cpuMs.alice), unit: "ms" },
    { label: "bob CPU per message", value: perMessage(p.cpuMs.bob), unit: "ms" },
    { label: "rendezvous CPU per message", value: perMessage(p.cpuMs.rendezvous), unit: "ms" },
  ];
  return {
    title: "Pipelined chat messages, one pair (alice → bob)",
    rows,
    notes: [
      ...(p.delivered < p.messages
        ? [`only ${p.delivered} of ${p.messages} were delivered before the timeout`]
        : []),
      "the target is 20,000 msg/s: 50 µs per message for everything on each side; see the " +
      "breakdown below for where the time goes",
    ],
  };
}

/** The sum of `side`'s steps per message (the DH step, once per turn, apart). */
function sideSum(steps: readonly StepCost[], side: StepCost["side"]): number {
  return steps.filter((c) => c.side === side && c.step !== DH_STEP)
    .reduce((n, c) => n + c.microseconds, 0);
}

function costSection(m: MessageResult, all: MessageCosts): Section {
  const costs = all.batched.steps;
  const sender = sideSum(costs, "sender");
  const receiver = sideSum(costs, "receiver");
  const measured = (ms: number) => 1000 * ms / m.pipelined.delivered;
  return {
    title: `Per-message cost breakdown, in isolation, ${all.batch} messages per chat frame ` +
      "(same calls, real SQLite, no network)",
    rows: [
      ...costs.map((c): Row => ({
        label: `${c.side === "sender" ? "alice" : "bob  "} ${c.step}`,
        value: c.microseconds,
        unit: "µs/msg",
      })),
      { label: "alice: sum of her steps", value: sender, unit: "µs/msg" },
      { label: "bob: sum of his steps", value: receiver, unit: "µs/msg" },
      {
        label: "alice: ceiling if her steps were all (1e6 / sum)",
        value: 1e6 / sender,
        unit: "msg/s",
      },
      {
        label: "alice: CPU per message measured in the pipelined run",
        value: measured(m.pipelined.cpuMs.alice),
        unit: "µs/msg",
      },
      {
        label: "bob: CPU per message measured in the pipelined run",
        value: measured(m.pipelined.cpuMs.bob),
        unit: "µs/msg",
      },
      {
        label: "libp2p per frame: 1e6 / raw pipelined echo rate",
        value: 1e6 * m.rawPipelined.seconds / m.rawPipelined.messages,
        unit: "µs/frame",
      },
      {
        label: "Directory.resolve per flush (p50, wall)",
        value: 1000 * m.resolve.p50,
        unit: "µs/flush",
      },
    ],
    notes: [
      "each step is timed on its own with performance.now(), awaited one at a time (the crypto " +
      "is synchronous node:crypto and noble; only the awaits around it are async)",
      "in the full stack a message also costs its share of the chat-stream frames (libp2p per " +
      "frame row); alice's first encryption reuses the content in memory instead of reopening it",
    ],
  };
}

const KINDS: readonly CostKind[] = [
  "sign",
  "verify",
  "ratchet encrypt",
  "ratchet decrypt",
  "at-rest sealing",
  "SQLite writes",
  "SQLite reads",
  "framing (protobuf)",
];

/** The same costs summed by kind of work, one message per frame against a full batch. */
function costKindSection(all: MessageCosts): Section {
  const byKind = (steps: readonly StepCost[], kind: CostKind) =>
    steps.filter((c) => c.kind === kind && c.step !== DH_STEP)
      .reduce((n, c) => n + c.microseconds, 0);
  const rows: Row[] = KINDS.map((kind) => ({
    label: `${kind}, both sides, ${all.batch} per frame`,
    value: byKind(all.batched.steps, kind),
    unit: "µs/msg",
    baseline: { label: "1 per frame", value: byKind(all.single.steps, kind) },
  }));
  const total = (steps: readonly StepCost[]) =>
    sideSum(steps, "sender") + sideSum(steps, "receiver");
  return {
    title: "Per-message CPU by kind of work (the breakdown above, summed), against one message " +
      "per frame and per transaction",
    rows: [
      ...rows,
      {
        label: `all of it, both sides, ${all.batch} per frame`,
        value: total(all.batched.steps),
        unit: "µs/msg",
        baseline: { label: "1 per frame", value: total(all.single.steps) },
      },
      {
        label: "Ed25519 sign alone (node:crypto, key imported once), per call",
        value: all.batched.primitives.signMicroseconds,
        unit: "µs",
      },
      {
        label: "Ed25519 verify alone (node:crypto, imported key cached), per call",
        value: all.batched.primitives.verifyMicroseconds,
        unit: "µs",
      },
    ],
    notes: [
      "sign includes the envelope's protobuf encoding and verify its decoding and re-encoding " +
      "check (the rows alone say what the signature itself costs)",
      "SQLite writes: outbox, history, seen and the session; one transaction per message when " +
      "sending, one per frame when receiving and applying Acks",
    ],
  };
}

/** The primitives micro-benchmark, WebCrypto ÷ noble, with the one tincan uses marked. */
export function primitivesSection(rows: readonly PrimitiveRow[]): Section {
  return {
    title: "Primitives, one 100-byte operation at a time: WebCrypto against @noble and node:crypto",
    rows: rows.flatMap((r): Row[] => [
      {
        label: `${r.op}: WebCrypto${USED[r.op] === "WebCrypto" ? " (used)" : ""}`,
        value: r.webcryptoOpsPerSec,
        unit: "ops/s",
        baseline: { label: "noble", value: r.nobleOpsPerSec },
      },
      {
        label: `${r.op}: @noble${USED[r.op] === "noble" ? " (used)" : ""}`,
        value: r.nobleOpsPerSec,
        unit: "ops/s",
      },
      ...(r.nodeOpsPerSec === undefined ? [] : [{
        label: `${r.op}: node:crypto${USED[r.op] === "node:crypto" ? " (used)" : ""}`,
        value: r.nodeOpsPerSec,
        unit: "ops/s",
        baseline: { label: "WebCrypto", value: r.webcryptoOpsPerSec },
      }]),
    ]),
    notes: [
      "(used) = what src/crypto/primitives.ts calls; AES-GCM, Ed25519, X25519 and HKDF run on " +
      "node:crypto (synchronous, no trip through WebCrypto's op queue; constant-time RustCrypto " +
      "AES and dalek curves), never on noble's AES, which uses T-tables (timing leaks)",
    ],
  };
}

/** The room fan-out against a single message's round trip in the same setup. */
export function roomSection(r: RoomResult): Section {
  const cores = navigator.hardwareConcurrency;
  const single = (p: "p50" | "p99") => ({
    label: `single message round trip ${p}`,
    value: r.roundTrip[p],
  });
  return {
    title: `Room message to ${r.members} online members (${r.processes} member processes), ` +
      "alice in the bench process, rendezvous in its own",
    rows: [
      {
        label: "single message round trip: alice → member, its reply back, p50",
        value: r.roundTrip.p50,
        unit: "ms",
      },
      { label: "single message round trip, p99", value: r.roundTrip.p99, unit: "ms" },
      {
        label: `room message until all ${r.members} members have it, p50 of ${r.fanout.samples}`,
        value: r.fanout.p50,
        unit: "ms",
        baseline: single("p50"),
      },
      {
        label: `room message until all ${r.members} members have it, worst`,
        value: r.fanout.p99,
        unit: "ms",
        baseline: single("p50"),
      },
      {
        label: "room setup: members start, invited and joined one at a time",
        value: r.setupSeconds,
        unit: "s",
      },
      {
        label: "room settling: until the members' processes are at rest, before measuring",
        value: r.settle.seconds,
        unit: "s",
      },
      ...cpuRows("room message", r.cpu.fanout),
      ...cpuRows("round trip", r.cpu.roundTrip),
      {
        label: `room messages one after another: all processes' CPU / ${cores} cores`,
        value: total(r.cpu.fanout) / cores,
        unit: "ms",
        baseline: single("p50"),
      },
    ],
    notes: [
      ...(r.settle.atRest ? [] : [
        "the members were not at rest when measured: the room's own forming was measured too",
      ]),
      "fan-out: from alice's send until the last member's room-message event (each member " +
      "logs its own time; one machine, one clock); the message is encrypted once with alice's " +
      "sender key and goes to each member over its pairwise session",
      "the round trip is the messages section's ping → pong, here to the first member",
      "CPU: user + system time of each process over the loop (/proc, 10 ms ticks), divided " +
      "by its messages; the members' includes their Acks and their peers' heartbeats",
      `every process of the bench shares this machine's ${cores} cores: room messages sent one ` +
      "after another cannot go faster than their total CPU divided by them (a single one may " +
      "finish a little sooner: its Acks are handled after); alice's own CPU is spent in one " +
      "thread, one member after another",
    ],
  };
}

/** The CPU rows of one operation of the room bench. */
function cpuRows(what: string, cpu: CpuShares): Row[] {
  return [
    { label: `CPU per ${what}: alice (the bench process)`, value: cpu.alice, unit: "ms" },
    { label: `CPU per ${what}: the member processes together`, value: cpu.members, unit: "ms" },
    { label: `CPU per ${what}: the rendezvous`, value: cpu.rendezvous, unit: "ms" },
  ];
}

function total(cpu: CpuShares): number {
  return cpu.alice + cpu.members + cpu.rendezvous;
}

/** What is printed when the room bench could not finish. */
export function roomFailedSection(err: Error): Section {
  return {
    title: "Room message to many online members: not measured in this run",
    rows: [],
    notes: [err.message],
  };
}
