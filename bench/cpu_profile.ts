// deno-lint-ignore-file no-console
/**
 * Summarizes a V8 CPU profile (`deno run --cpu-prof`, or TINCAN_BENCH_CPU_PROF for the bench's
 * server processes): self time by origin (each npm package, each src/ folder, Deno's runtime,
 * garbage collection, idle) and the functions with the most self time.
 *
 * Usage: deno run --allow-read bench/cpu_profile.ts FILE.cpuprofile [--top N]
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
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
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
  readonly byFunction: Share[];
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

/** Self time by origin and by function. */
export function summarize(profile: CpuProfile): ProfileSummary {
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const totalHits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const msPerHit = totalHits === 0 ? 0 : wallMs / totalHits;
  const origins = new Map<string, number>();
  const functions = new Map<string, number>();
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
    byFunction: shares(functions),
  };
}

function format(summary: ProfileSummary, top: number): string {
  const line = (s: Share) =>
    `  ${s.ms.toFixed(0).padStart(7)} ms  ${s.percentOfBusy.toFixed(1).padStart(5)} %  ${s.name}`;
  return [
    `wall ${summary.wallMs.toFixed(0)} ms, busy (not idle) ${summary.busyMs.toFixed(0)} ms`,
    "self time by origin:",
    ...summary.byOrigin.slice(0, top).map(line),
    "self time by function:",
    ...summary.byFunction.slice(0, top).map(line),
  ].join("\n");
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { top: { type: "string", default: "25" } },
    allowPositionals: true,
  });
  for (const file of positionals) {
    console.log(
      `${file}\n${
        format(summarize(JSON.parse(await Deno.readTextFile(file))), Number(values.top))
      }\n`,
    );
  }
}
