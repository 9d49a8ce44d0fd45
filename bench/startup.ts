/**
 * Cold start: how long `tincan --help` takes to exit and `tincan rendezvous` to print its address,
 * run from the bundle (as the compiled binary runs it), all in the repository's directory, and from the sources (`deno run main.ts`),
 * against a bare `deno run` of an empty script, the floor every Deno program pays. Each start is
 * a new process; the runs of one variant alternate with the others' so load drifts hit all alike.
 */
import { join } from "node:path";
import { buildBundle, bundleArgv, ROOT } from "../scripts/bundle.ts";
import { RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { type Latency, latency } from "./messages.ts";

/** One way of starting tincan. */
export interface StartVariant {
  readonly label: string;
  readonly argv: readonly string[];
  /** A fresh, empty DENO_DIR for every start (the very first run on a machine). */
  readonly emptyDenoDir?: boolean;
}

/** Start times of one variant, in milliseconds. */
export interface StartTimes {
  readonly label: string;
  readonly help: Latency;
  readonly rendezvousReady: Latency;
}

/** What the startup bench measured. */
export interface StartupResult {
  /** A bare `deno run` of an empty file, spawn to exit. */
  readonly floor: Latency;
  readonly variants: readonly StartTimes[];
  readonly bundleBytes: number;
}

/**
 * Bundles tincan, then times `runs` starts of each variant.
 * @throws Error when the bundle cannot be built or a start fails.
 */
export async function benchStartup(runs: number): Promise<StartupResult> {
  const bundle = await buildBundle();
  const work = await Deno.makeTempDir({ prefix: "tincan-bench-start-" });
  try {
    const empty = join(work, "empty.js");
    await Deno.writeTextFile(empty, "");
    const variants: StartVariant[] = [
      { label: "bundle (dist/tincan.js, --cached-only)", argv: bundleArgv(bundle) },
      {
        label: "bundle, first run (empty DENO_DIR)",
        argv: bundleArgv(bundle),
        emptyDenoDir: true,
      },
      {
        label: "deno run main.ts (sources)",
        argv: [Deno.execPath(), "run", ...RUNTIME_PERMISSIONS, join(ROOT, "main.ts")],
      },
    ];
    const floor: number[] = [];
    const help = variants.map(() => [] as number[]);
    const ready = variants.map(() => [] as number[]);
    for (let run = 0; run < runs; run++) {
      floor.push(await timeExit([Deno.execPath(), "run", "--no-config", empty]));
      for (const [i, variant] of variants.entries()) {
        const env = async () =>
          variant.emptyDenoDir ? { DENO_DIR: await Deno.makeTempDir({ dir: work }) } : {};
        help[i]!.push(await timeExit([...variant.argv, "--help"], await env()));
        const data = await Deno.makeTempDir({ dir: work });
        ready[i]!.push(await timeRendezvousReady(variant.argv, data, await env()));
      }
    }
    return {
      floor: latency(floor),
      variants: variants.map((variant, i) => ({
        label: variant.label,
        help: latency(help[i]!),
        rendezvousReady: latency(ready[i]!),
      })),
      bundleBytes: (await Deno.stat(bundle)).size,
    };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * Milliseconds from spawning `argv` to its exit.
 * @throws Error when it exits non-zero.
 */
async function timeExit(
  argv: readonly string[],
  env: Record<string, string> = {},
): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const ms = performance.now() - start;
  if (!out.success) {
    throw new Error(
      `${argv.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return ms;
}

/**
 * Milliseconds from spawning `tincan rendezvous` to its first address on stdout; then stops it.
 * @throws Error when it exits before printing an address.
 */
async function timeRendezvousReady(
  tincan: readonly string[],
  data: string,
  env: Record<string, string>,
): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command(tincan[0]!, {
    args: [...tincan.slice(1), "rendezvous", "--listen", "/ip4/127.0.0.1/tcp/0", "--data", data],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  let ms: number | undefined;
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes("\n")) {
      ms = performance.now() - start;
      child.kill("SIGTERM");
      break;
    }
  }
  await child.stdout.cancel().catch(() => {});
  await child.status;
  if (ms === undefined) throw new Error(`${tincan.join(" ")} rendezvous printed no address`);
  return ms;
}
