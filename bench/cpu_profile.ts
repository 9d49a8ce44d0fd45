// deno-lint-ignore-file no-console
/**
 * Summarizes a V8 CPU profile (`deno run --cpu-prof`, or TINCAN_BENCH_CPU_PROF for the bench's
 * server processes): self time by origin (each npm package, each src/ folder, Deno's runtime,
 * garbage collection, idle), by part of a rendezvous's work (each sample charged to the nearest
 * frame of its stack that names a part: a socket write made for Noise is TCP's, a signature made
 * for a certificate is Ed25519's), and the functions with the most self time. `--per N` divides
 * the parts by N (the peers of a scale run).
 *
 * Usage: deno run --allow-read bench/cpu_profile.ts FILE.cpuprofile [--top N] [--per N]
 */
import { parseArgs } from "node:util";

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
    readonly hitCount?: number;
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  /** Microseconds from each sample to the one before it (the first: from startTime). */
  readonly timeDeltas?: readonly number[];
}

/** A stretch of busy samples between idle gaps: one stage of a bench, say. */
export interface Segment {
  /** From the profile's start, ms. */
  readonly startMs: number;
  readonly wallMs: number;
  readonly busyMs: number;
  /** Its busy time by part (PARTS), largest first. */
  readonly byPart: Share[];
}

/** Self time of one origin or function, in milliseconds and as a share of the busy time. */
export interface Share {
  readonly name: string;
  readonly ms: number;
  readonly percentOfBusy: number;
}

/** What a profile says. */
export interface ProfileSummary {
  readonly wallMs: number;
  /** Sampled time not idle. */
  readonly busyMs: number;
  readonly byOrigin: Share[];
  /** Self time charged to the nearest part (PARTS) on each sample's stack. */
  readonly byPart: Share[];
  readonly byFunction: Share[];
}

/**
 * The parts of a rendezvous's work: each names npm packages (`npm`), paths in this repository
 * (`own`) or other URL fragments (`urls`: wasm modules); the first that matches a frame names it.
 * Frames that match none (Deno's runtime, natives) are charged to their caller.
 */
export const PARTS: readonly {
  readonly part: string;
  readonly npm?: readonly string[];
  readonly own?: readonly string[];
  readonly urls?: readonly string[];
}[] = [
  { part: "SQLite (stores)", own: ["src/store/", "src/rendezvous/store/"] },
  { part: "OPAQUE (wasm)", npm: ["@serenity-kit/opaque"], urls: ["opaque.wasm"] },
  {
    part: "Noise (X25519 node:crypto, ChaCha20-Poly1305 wasm, HKDF)",
    npm: ["@chainsafe/libp2p-noise", "@chainsafe/as-chacha20poly1305", "@noble/hashes"],
  },
  { part: "Ed25519 signatures (@libp2p/crypto)", npm: ["@libp2p/crypto"] },
  { part: "TCP socket reads and writes", npm: ["@libp2p/tcp"] },
  { part: "Yamux", npm: ["@chainsafe/libp2p-yamux"] },
  {
    part: "identify + peer store",
    npm: ["@libp2p/identify", "@libp2p/peer-store", "@libp2p/peer-record", "datastore-core"],
  },
  {
    part: "presence (protocol, interest index, logged-in table)",
    own: ["src/rendezvous/presence_", "src/rendezvous/logged_in_users"],
  },
  { part: "mail (mailbox, accept, signal)", own: ["src/rendezvous/mail", "src/rendezvous/accept"] },
  { part: "framed protobuf I/O (src/net, src/proto)", own: ["src/net/", "src/proto/"] },
  { part: "other rendezvous code (src/)", own: ["src/"] },
  {
    part: "libp2p streams, multistream-select, connection manager",
    npm: ["libp2p", "@libp2p/utils", "@libp2p/multistream-select", "uint8arraylist"],
  },
];

/** The part of `url` (PARTS), or undefined when it names none. */
export function partOf(url: string): string | undefined {
  const npm = /\/npm\/[^/]+\/((?:@[^/]+\/)?[^/@]+)\//.exec(url)?.[1];
  const own = npm === undefined && url.startsWith("file://")
    ? /\/((?:src|bench)\/.*)$/.exec(url)?.[1]
    : undefined;
  return PARTS.find((p) =>
    (npm !== undefined && p.npm?.includes(npm)) ||
    (own !== undefined && p.own?.some((prefix) => own.startsWith(prefix))) ||
    p.urls?.some((fragment) => url.includes(fragment))
  )?.part;
}

/** Where a function's code comes from: an npm package, a src/ or bench/ folder, the runtime. */
export function originOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const npm = /\/npm\/[^/]+\/((?:@[^/]+\/)?[^/@]+)/.exec(url);
  if (npm) return npm[1]!;
  const own = /\/(src\/[^/]+|bench)\//.exec(url);
  if (own) return own[1]!;
  if (url.startsWith("ext:") || url.startsWith("node:")) return "deno runtime";
  return url;
}

/** The part (PARTS) each profile node's samples are charged to: the nearest one on its stack. */
function partsByNode(profile: CpuProfile): Map<number, string> {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const nearestPart = (id: number, functionName: string): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const part = partOf(nodes.get(at)!.callFrame.url);
      if (part !== undefined) return part;
    }
    return functionName === "(garbage collector)" || functionName === "(program)" ||
        functionName === "(idle)"
      ? functionName
      : "(runtime, event loop, timers)";
  };
  return new Map(profile.nodes.map((n) => [n.id, nearestPart(n.id, n.callFrame.functionName)]));
}

/** Busy time within an idle stretch that ends it (less is a timer's blip). */
const GAP_BUSY_MS = 20;

/**
 * Splits the profile's timeline at idle stretches of at least `gapMs` (a bench settles between
 * its stages), and charges each busy stretch's samples to parts.
 */
export function segments(profile: CpuProfile, gapMs: number): Segment[] {
  const part = partsByNode(profile);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const found: Segment[] = [];
  let at = 0;
  let current: { startMs: number; endMs: number; parts: Map<string, number> } | undefined;
  let idleSince: number | undefined;
  let gapBusy = 0;
  const close = () => {
    if (current === undefined) return;
    const busyMs = [...current.parts.values()].reduce((a, b) => a + b, 0);
    found.push({
      startMs: current.startMs,
      wallMs: current.endMs - current.startMs,
      busyMs,
      byPart: [...current.parts].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({
        name,
        ms,
        percentOfBusy: busyMs === 0 ? 0 : 100 * ms / busyMs,
      })),
    });
    current = undefined;
  };
  samples.forEach((id, i) => {
    // A sample lasts until the next one (the last: as long as the one before it).
    const ms = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    at += (deltas[i] ?? 0) / 1000;
    const name = part.get(id) ?? "(runtime, event loop, timers)";
    if (name === "(idle)") {
      idleSince ??= at;
      if (at - idleSince >= gapMs) close();
      return;
    }
    // A timer's blip inside a gap does not end it; GAP_BUSY_MS of work does.
    gapBusy = idleSince === undefined ? 0 : gapBusy + ms;
    if (gapBusy > GAP_BUSY_MS) idleSince = undefined;
    current ??= { startMs: at, endMs: at, parts: new Map() };
    current.endMs = at + ms;
    current.parts.set(name, (current.parts.get(name) ?? 0) + ms);
  });
  close();
  return found;
}

/** Self time by origin, by part and by function. */
export function summarize(profile: CpuProfile): ProfileSummary {
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const totalHits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const msPerHit = totalHits === 0 ? 0 : wallMs / totalHits;
  const origins = new Map<string, number>();
  const functions = new Map<string, number>();
  const parts = new Map<string, number>();
  const partOfNode = partsByNode(profile);
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") {
      idle += hits;
      continue;
    }
    const origin = originOf(url, functionName);
    origins.set(origin, (origins.get(origin) ?? 0) + hits);
    const name = `${functionName || "(anonymous)"} ${origin}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + hits);
    const part = partOfNode.get(node.id)!;
    parts.set(part, (parts.get(part) ?? 0) + hits);
  }
  const busyHits = totalHits - idle;
  const shares = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, hits]) => ({
      name,
      ms: hits * msPerHit,
      percentOfBusy: busyHits === 0 ? 0 : 100 * hits / busyHits,
    }));
  return {
    wallMs,
    busyMs: busyHits * msPerHit,
    byOrigin: shares(origins),
    byPart: shares(parts),
    byFunction: shares(functions),
  };
}

function format(summary: ProfileSummary, top: number, per: number): string {
  const line = (s: Share) =>
    `  ${s.ms.toFixed(0).padStart(7)} ms  ${s.percentOfBusy.toFixed(1).padStart(5)} %  ${s.name}`;
  const perLine = (s: Share) =>
    `  ${(s.ms / per).toFixed(3).padStart(8)} ms  ${
      s.percentOfBusy.toFixed(1).padStart(5)
    } %  ${s.name}`;
  return [
    `wall ${summary.wallMs.toFixed(0)} ms, busy (not idle) ${summary.busyMs.toFixed(0)} ms` +
    (per === 1 ? "" : ` = ${(summary.busyMs / per).toFixed(2)} ms per ${per}th`),
    `by part (nearest part on the stack)${per === 1 ? "" : `, per one of ${per}`}:`,
    ...summary.byPart.map(perLine),
    "self time by origin:",
    ...summary.byOrigin.slice(0, top).map(line),
    "self time by function:",
    ...summary.byFunction.slice(0, top).map(line),
  ].join("\n");
}

function formatSegments(found: readonly Segment[], per: number): string {
  return found.map((seg, i) =>
    [
      `segment ${i + 1}: from ${(seg.startMs / 1000).toFixed(1)} s, ${
        (seg.wallMs / 1000).toFixed(1)
      } s wall, ${seg.busyMs.toFixed(0)} ms busy${
        per === 1 ? "" : ` = ${(seg.busyMs / per).toFixed(2)} ms per ${per}th`
      }`,
      ...seg.byPart.filter((s) => s.percentOfBusy >= 1).map((s) =>
        `  ${(s.ms / per).toFixed(3).padStart(8)} ms  ${
          s.percentOfBusy.toFixed(1).padStart(5)
        } %  ${s.name}`
      ),
    ].join("\n")
  ).join("\n");
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      top: { type: "string", default: "25" },
      per: { type: "string", default: "1" },
      "segments-gap-ms": { type: "string" },
    },
    allowPositionals: true,
  });
  for (const file of positionals) {
    const profile: CpuProfile = JSON.parse(await Deno.readTextFile(file));
    const per = Number(values.per);
    console.log(`${file}\n${format(summarize(profile), Number(values.top), per)}\n`);
    if (values["segments-gap-ms"] !== undefined) {
      console.log(formatSegments(segments(profile, Number(values["segments-gap-ms"])), per));
    }
  }
}
