/**
 * The scale bench's side of its client processes (scale_worker_process.ts): spawn them with the
 * peers divided among them, send each the same command and gather the replies, stop them.
 */
import { fileURLToPath } from "node:url";
import { readLines } from "./child_loop.ts";
import { type Memory, readCpuMs, readMemory } from "./proc.ts";
import type { ScaleCommand, ScaleReply } from "./scale_protocol.ts";
import { denoCommand } from "./server_process.ts";

/** One client process and its peers. */
export interface ScaleWorker {
  readonly pid: number;
  /** Its peers are `${prefix}-0 … ${prefix}-(count-1)`. */
  readonly prefix: string;
  readonly count: number;
  /** Sends `command`, resolves with its reply. @throws Error on an error reply or an exit. */
  send(command: ScaleCommand): Promise<ScaleReply>;
  memory(): Promise<Memory>;
  cpuMs(): Promise<number>;
  /** Closes its stdin (it stops its nodes), SIGKILL after STOP_TIMEOUT_MS. */
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 60_000;
const WORKER_SCRIPT = new URL("./scale_worker_process.ts", import.meta.url);

/** A set of client processes that together hold `peers` peers. */
export class ScaleWorkers {
  private constructor(readonly workers: readonly ScaleWorker[]) {}

  /**
   * Spawns `processes` workers holding `peers` peers in all (named `${prefix}<w>-<i>`), each
   * allowed `slots` logins in flight, and waits until every one has started its nodes.
   * @throws Error when a worker fails to start (the others are stopped).
   */
  static async spawn(options: {
    readonly peers: number;
    readonly processes: number;
    readonly prefix: string;
    readonly slots: number;
  }): Promise<ScaleWorkers> {
    const workers: SpawnedWorker[] = [];
    let first = 0;
    for (let w = 0; w < options.processes; w++) {
      const count = Math.floor(options.peers / options.processes) +
        (w < options.peers % options.processes ? 1 : 0);
      workers.push(spawnWorker(`${options.prefix}${w}`, count, first, options.slots));
      first += count;
    }
    const all = new ScaleWorkers(workers);
    try {
      await Promise.all(workers.map(async (w) => expect(await w.next(), "start")));
    } catch (err: unknown) {
      await all.stop();
      throw err;
    }
    return all;
  }

  /** Total peers. */
  get peers(): number {
    return this.workers.reduce((sum, w) => sum + w.count, 0);
  }

  /** Sends `command(worker)` to every worker at once; resolves with their replies. */
  async each(command: (worker: ScaleWorker) => ScaleCommand): Promise<ScaleReply[]> {
    return await Promise.all(this.workers.map((w) => w.send(command(w))));
  }

  /** Sends `command(worker)` to one worker after another, each after the last one's reply. */
  async inTurn(command: (worker: ScaleWorker) => ScaleCommand): Promise<ScaleReply[]> {
    const replies: ScaleReply[] = [];
    for (const w of this.workers) replies.push(await w.send(command(w)));
    return replies;
  }

  /** Sends `command` to every worker at once. */
  async all(command: ScaleCommand): Promise<ScaleReply[]> {
    return await this.each(() => command);
  }

  /** The workers' RSS summed, in KiB. */
  async rssKiB(): Promise<number> {
    const memories = await Promise.all(this.workers.map((w) => w.memory()));
    return memories.reduce((sum, m) => sum + m.rssKiB, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}

interface SpawnedWorker extends ScaleWorker {
  next(): Promise<ScaleReply>;
}

function spawnWorker(prefix: string, count: number, first: number, slots: number): SpawnedWorker {
  const child = denoCommand([
    "run",
    "-A",
    fileURLToPath(WORKER_SCRIPT),
    "--prefix",
    prefix,
    "--count",
    String(count),
    "--first",
    String(first),
    "--slots",
    String(slots),
  ], { stdin: "piped", stdout: "piped", stderr: "inherit" });
  const lines = readLines(child.stdout);
  const stdin = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const next = async (): Promise<ScaleReply> => {
    const line = await lines.next();
    if (line.done) {
      const status = await child.status;
      throw new Error(`Scale worker ${prefix} exited with code ${status.code}`);
    }
    return JSON.parse(line.value) as ScaleReply;
  };
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid,
    prefix,
    count,
    next,
    send: async (command) => {
      await stdin.write(encoder.encode(`${JSON.stringify(command)}\n`));
      return expect(await next(), command.do);
    },
    memory: () => readMemory(child.pid),
    cpuMs: () => readCpuMs(child.pid),
    stop: () =>
      stopping ??= (async () => {
        await stdin.close().catch(() => {});
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // already exited
          }
        }, STOP_TIMEOUT_MS);
        try {
          await child.status;
        } finally {
          clearTimeout(timer);
        }
      })(),
  };
}

function expect(reply: ScaleReply, done: string): ScaleReply {
  if (reply.done === "error") throw new Error(`Scale worker failed at "${done}": ${reply.message}`);
  if (reply.done !== done) throw new Error(`Scale worker answered "${reply.done}" to "${done}"`);
  return reply;
}
