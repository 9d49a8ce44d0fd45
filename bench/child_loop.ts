// deno-lint-ignore-file no-console
/**
 * The stdio protocol of a bench server process: it prints each listen multiaddr on a line of its
 * own, answers a "gc" line on stdin with a line "gc <JSON of Deno.memoryUsage()>" on stdout (after
 * a full garbage collection when V8 runs with --expose-gc), answers "snapshot <path>" by writing
 * a V8 heap snapshot there (summarize it with bench/heap_summary.ts) and replying "snapshot
 * <path>", answers "profile start" by starting V8's CPU profiler (node:inspector) and replying
 * "profile started", and "profile stop <path>" by writing the profile taken since there as a
 * .cpuprofile (summarize it with bench/cpu_profile.ts) and replying "profile <path>", answers any
 * other line `answer` knows with the line it returns, and stops when stdin closes or on SIGTERM.
 */

import { Session } from "node:inspector";
import v8 from "node:v8";

/**
 * Serves the stdio protocol until stdin closes or SIGTERM; then runs `stop` and exits. `answer`
 * replies to the process's own commands (undefined: not one of them).
 */
export async function serveStdio(
  addresses: readonly string[],
  stop: () => Promise<void>,
  answer: (line: string) => string | undefined = () => undefined,
): Promise<never> {
  for (const address of addresses) console.log(address);
  let stopping: Promise<never> | undefined;
  const shutdown = () =>
    stopping ??= stop().then(
      () => Deno.exit(0),
      (err: unknown) => {
        console.error(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        Deno.exit(1);
      },
    );
  Deno.addSignalListener("SIGTERM", shutdown);
  const profiler = new CpuProfiler();
  for await (const line of readLines(Deno.stdin.readable)) {
    if (line === "gc") {
      collectGarbage();
      console.log(`gc ${JSON.stringify({ ...Deno.memoryUsage(), spaces: heapSpaces() })}`);
    } else if (line.startsWith("snapshot ")) {
      collectGarbage();
      console.log(`snapshot ${v8.writeHeapSnapshot(line.slice("snapshot ".length))}`);
    } else if (line === "profile start") {
      await profiler.start();
      console.log("profile started");
    } else if (line.startsWith("profile stop ")) {
      const path = line.slice("profile stop ".length);
      await Deno.writeTextFile(path, JSON.stringify(await profiler.stop()));
      console.log(`profile ${path}`);
    } else {
      const reply = answer(line);
      if (reply !== undefined) console.log(reply);
    }
  }
  return await shutdown();
}

/** V8's heap spaces (old, new, large objects …): bytes reserved and used, by space name. */
function heapSpaces(): Record<string, { size: number; used: number }> {
  return Object.fromEntries(
    v8.getHeapSpaceStatistics()
      .filter((s) => s.space_size > 0)
      .map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]),
  );
}

/** V8's sampling CPU profiler of this process, through an inspector session of its own. */
class CpuProfiler {
  #session: Session | undefined;

  async start(): Promise<void> {
    this.#session ??= new Session();
    this.#session.connect();
    await this.#post("Profiler.enable");
    await this.#post("Profiler.start");
  }

  /** Stops the profiler; returns the profile (the .cpuprofile JSON object). */
  async stop(): Promise<unknown> {
    const { profile } = await this.#post("Profiler.stop") as { profile: unknown };
    await this.#post("Profiler.disable");
    this.#session?.disconnect();
    return profile;
  }

  #post(method: string): Promise<unknown> {
    const session = this.#session;
    if (session === undefined) return Promise.reject(new Error("the profiler was not started"));
    return new Promise((resolve, reject) =>
      session.post(
        method,
        {},
        (err: Error | null, result: unknown) => err ? reject(err) : resolve(result),
      )
    );
  }
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The lines of a byte stream, without their line ends. */
export async function* readLines(bytes: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const text of bytes.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    let end: number;
    while ((end = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered !== "") yield buffered;
}
