/**
 * Throughput measurement: concurrent workers repeat an operation for a time or a count, while the
 * server process's CPU time is read before and after.
 */

/** What one measurement counted. */
export interface Measurement {
  readonly ops: number;
  readonly seconds: number;
  /** CPU time the server process used during the measurement, when a server was given. */
  readonly serverCpuMs?: number;
}

/** One worker's operation; `worker` is its index, 0 .. workers-1. */
export type Operation = (worker: number) => Promise<void>;

/** Something whose CPU time is read around a measurement. */
export interface CpuSource {
  cpuMs(): Promise<number>;
}

/** Operations per second. */
export function perSecond(m: Measurement): number {
  return m.ops / m.seconds;
}

/** Server CPU milliseconds per operation, when known. */
export function serverCpuMsPerOp(m: Measurement): number | undefined {
  return m.serverCpuMs === undefined ? undefined : m.serverCpuMs / m.ops;
}

/** Server CPU use during the measurement as a percentage of one core, when known. */
export function serverCpuPercent(m: Measurement): number | undefined {
  return m.serverCpuMs === undefined ? undefined : m.serverCpuMs / (m.seconds * 10);
}

/**
 * Runs `op` on `workers` concurrent workers for `warmupSeconds` uncounted, then for `seconds`
 * counted; an operation in flight at the deadline completes and counts.
 */
export async function measureForDuration(options: {
  readonly workers: number;
  readonly seconds: number;
  readonly warmupSeconds?: number;
  readonly op: Operation;
  readonly server?: CpuSource;
}): Promise<Measurement> {
  const { workers, op } = options;
  await runWorkers(workers, async (w) => {
    const end = performance.now() + (options.warmupSeconds ?? 0.5) * 1000;
    while (performance.now() < end) await op(w);
  });
  return await timed(options.server, async () => {
    let ops = 0;
    const end = performance.now() + options.seconds * 1000;
    await runWorkers(workers, async (w) => {
      while (performance.now() < end) {
        await op(w);
        ops++;
      }
    });
    return ops;
  });
}

/** Runs `op` exactly `total` times spread over `workers` concurrent workers. */
export async function measureCount(options: {
  readonly workers: number;
  readonly total: number;
  readonly op: Operation;
  readonly server?: CpuSource;
}): Promise<Measurement> {
  return await timed(options.server, async () => {
    let started = 0;
    await runWorkers(options.workers, async (w) => {
      while (started < options.total) {
        started++;
        await options.op(w);
      }
    });
    return options.total;
  });
}

async function timed(server: CpuSource | undefined, run: () => Promise<number>) {
  const cpuBefore = await server?.cpuMs();
  const start = performance.now();
  const ops = await run();
  const seconds = (performance.now() - start) / 1000;
  const cpuAfter = await server?.cpuMs();
  const serverCpuMs = cpuBefore === undefined || cpuAfter === undefined
    ? undefined
    : cpuAfter - cpuBefore;
  return serverCpuMs === undefined ? { ops, seconds } : { ops, seconds, serverCpuMs };
}

/** The CPU `source` uses over the next `ms` milliseconds, as a percentage of one core. */
export async function cpuPercentOver(source: CpuSource, ms: number): Promise<number> {
  const before = await source.cpuMs();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (await source.cpuMs() - before) / (performance.now() - start) * 100;
}

/** Runs `work(0) … work(n-1)` concurrently; rejects with the first failure. */
export async function runWorkers(n: number, work: (worker: number) => Promise<void>) {
  await Promise.all(Array.from({ length: n }, (_, w) => work(w)));
}

/** Runs `work` on each item, at most `concurrency` at a time, in order of start. */
export async function forEachBatched<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await runWorkers(Math.min(concurrency, items.length), async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  });
}
