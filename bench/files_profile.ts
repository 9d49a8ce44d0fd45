// deno-lint-ignore-file no-console
/**
 * Profiles the file data phase on both sides: one transfer of `--mib` MiB (default 256) alice →
 * bob as in bench/files.ts, printing each side's CPU per MiB; run it under `--cpu-prof` (alice,
 * the sender) with TINCAN_BENCH_CPU_PROF set (bob, the recipient, and the rendezvous), then
 * summarize the profiles with `--summarize`: self time by function within the data phase only
 * (from the first to the last sample with src/peer/files/data_transfer.ts on its stack), and the
 * share of it the thread sat idle.
 *
 * Usage:
 *   TINCAN_BENCH_CPU_PROF=DIR deno run -A --cpu-prof --cpu-prof-dir=DIR bench/files_profile.ts
 *   deno run --allow-read bench/files_profile.ts --summarize DIR/*.cpuprofile [--top N]
 */
import { parseArgs } from "node:util";

/** The parts of a .cpuprofile this reads. */
interface Profile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time by function (ms) between the first and last data-phase sample, and the idle time. */
function dataPhase(
  profile: Profile,
): { wallMs: number; idleMs: number; self: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const inData = new Map<number, boolean>();
  const onStack = (id: number): boolean => {
    let known = inData.get(id);
    if (known === undefined) {
      const up = parent.get(id);
      known = nodes.get(id)!.callFrame.url.includes("files/data_transfer.ts") ||
        (up !== undefined && onStack(up));
      inData.set(id, known);
    }
    return known;
  };
  const at: number[] = [];
  let time = 0;
  for (const delta of profile.timeDeltas) at.push(time += delta);
  const hits = profile.samples.flatMap((id, i) => onStack(id) ? [i] : []);
  const [first, last] = [hits[0] ?? 0, hits.at(-1) ?? 0];
  const self = new Map<string, number>();
  let idleMs = 0;
  for (let i = first; i < last; i++) {
    const ms = (at[i + 1]! - at[i]!) / 1000;
    const { functionName, url } = nodes.get(profile.samples[i]!)!.callFrame;
    if (functionName === "(idle)") idleMs += ms;
    const name = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}`;
    self.set(name, (self.get(name) ?? 0) + ms);
  }
  return { wallMs: (at[last]! - at[first]!) / 1000, idleMs, self };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      mib: { type: "string", default: "256" },
      summarize: { type: "boolean", default: false },
      top: { type: "string", default: "15" },
    },
    allowPositionals: true,
  });
  if (values.summarize) {
    for (const file of positionals) {
      const { wallMs, idleMs, self } = dataPhase(JSON.parse(await Deno.readTextFile(file)));
      if (wallMs === 0) continue; // not a file peer (the rendezvous)
      console.log(`${file}\ndata phase ${wallMs.toFixed(0)} ms, idle ${idleMs.toFixed(0)} ms`);
      const busy = wallMs - idleMs;
      for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
        if (name.startsWith("(idle)")) continue;
        console.log(
          `  ${ms.toFixed(0).padStart(6)} ms ${
            (100 * ms / busy).toFixed(1).padStart(5)
          } %  ${name}`,
        );
      }
    }
    return;
  }
  // Imported here so that --summarize needs only --allow-read.
  const { fileTransfer, writePayload } = await import("./files.ts");
  const mib = Number(values.mib);
  const dir = await Deno.makeTempDir({ prefix: "tincan-files-profile-" });
  try {
    const phase = await fileTransfer(dir, await writePayload(dir, mib * 1024 * 1024));
    const perMib = (ms: number) => `${(ms / mib).toFixed(2)} ms/MiB`;
    console.log(
      `data phase ${(mib * 1.048576 / phase.dataSeconds).toFixed(1)} MB/s; CPU sender ` +
        `${perMib(phase.senderCpuMs)}, recipient ${perMib(phase.recipientCpuMs)}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await main();
  Deno.exit(0); // the profile is written at exit; the bench peers' timers would hold it open
}
