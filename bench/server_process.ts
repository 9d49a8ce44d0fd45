/**
 * The bench's side of a server in its own process (see child_loop.ts): spawn it, read its
 * address, ask it to collect garbage, read its memory and CPU time, stop it.
 */
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { readLines } from "./child_loop.ts";
import { type Memory, readCpuMs, readMemory } from "./proc.ts";
import { RENDEZVOUS_V8_FLAGS } from "../src/rendezvous/v8_flags.ts";

/** The server's V8 heap and off-heap (external) memory, in bytes (Deno.memoryUsage). */
export interface HeapUsage {
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  /** V8's heap spaces that hold anything: bytes reserved and used, by space name. */
  readonly spaces?: Readonly<Record<string, { readonly size: number; readonly used: number }>>;
}

/** A running server process. */
export interface ServerProcess {
  readonly pid: number;
  /** Its first listen address, with /p2p/<PeerId>. */
  readonly address: Multiaddr;
  /** Asks it for a full garbage collection; returns its heap figures after it. */
  collectGarbage(): Promise<HeapUsage>;
  /** Asks it to write a V8 heap snapshot (after a full GC) to `path`; resolves when written. */
  heapSnapshot(path: string): Promise<void>;
  /** Starts V8's CPU profiler in it; resolves when started. */
  startCpuProfile(): Promise<void>;
  /** Stops the profiler and has it write the profile to `path`; resolves when written. */
  stopCpuProfile(path: string): Promise<void>;
  memory(): Promise<Memory>;
  cpuMs(): Promise<number>;
  /** Sends the command `line`; returns the rest of its reply, the first line after `prefix`. */
  ask(line: string, prefix: string): Promise<string>;
  /** Closes its stdin, waits for it to exit (SIGKILL after `STOP_TIMEOUT_MS`). */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const REPLY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const SNAPSHOT_TIMEOUT_MS = 300_000;

/**
 * Environment variable naming a directory: when set, every server process writes a V8 CPU profile
 * there when it exits (`deno run --cpu-prof`); summarize one with bench/cpu_profile.ts.
 */
export const CPU_PROFILE_ENV = "TINCAN_BENCH_CPU_PROF";

/** V8 flags by process script: the rendezvous runs with its role's flags, as in production. */
const V8_FLAGS: Readonly<Record<string, readonly string[]>> = {
  "rendezvous_process.ts": RENDEZVOUS_V8_FLAGS,
};

/** How a server process runs, beyond its script and arguments. */
export interface SpawnOptions {
  /** V8 flags (besides --expose-gc) instead of the script's own (V8_FLAGS). */
  readonly v8Flags?: readonly string[];
}

/**
 * Runs `script` (a bench/*_process.ts module) with `args` in a new Deno process.
 * @throws Error when it exits or stays silent instead of printing its address.
 */
export async function spawnServerProcess(
  script: URL,
  args: readonly string[] = [],
  options: SpawnOptions = {},
): Promise<ServerProcess> {
  const profileDir = Deno.env.get(CPU_PROFILE_ENV);
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const v8Flags = options.v8Flags ?? V8_FLAGS[basename(script.pathname)] ?? [];
  const child = denoCommand([
    "run",
    "-A",
    `--v8-flags=${["--expose-gc", ...v8Flags].join(",")}`,
    ...profile,
    fileURLToPath(script),
    ...args,
  ], {
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  });
  const lines = readLines(child.stdout);
  const stdin = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const nextLine = async (what: string, timeoutMs: number): Promise<string> => {
    const next = await withTimeout(lines.next(), timeoutMs, `${script.pathname} ${what}`);
    if (next.done) {
      const status = await child.status;
      throw new Error(`${script.pathname} exited with code ${status.code} before ${what}`);
    }
    return next.value;
  };
  let address: Multiaddr;
  try {
    address = multiaddr(await nextLine("printing its address", START_TIMEOUT_MS));
  } catch (err: unknown) {
    killQuietly(child);
    throw err;
  }
  const ask = async (line: string, prefix: string): Promise<string> => {
    await stdin.write(encoder.encode(`${line}\n`));
    while (true) {
      const reply = await nextLine(`answering ${line}`, REPLY_TIMEOUT_MS);
      if (reply.startsWith(prefix)) return reply.slice(prefix.length);
    }
  };
  return {
    pid: child.pid,
    address,
    collectGarbage: async () => {
      await stdin.write(encoder.encode("gc\n"));
      while (true) {
        const line = await nextLine("answering gc", REPLY_TIMEOUT_MS);
        if (line.startsWith("gc ")) return JSON.parse(line.slice(3)) as HeapUsage;
      }
    },
    heapSnapshot: async (path) => {
      await stdin.write(encoder.encode(`snapshot ${path}\n`));
      while (
        !(await nextLine("writing a heap snapshot", SNAPSHOT_TIMEOUT_MS)).startsWith("snapshot ")
      ) {
        // other output
      }
    },
    ask,
    startCpuProfile: async () => {
      await ask("profile start", "profile ");
    },
    stopCpuProfile: async (path) => {
      await ask(`profile stop ${path}`, "profile ");
    },
    memory: () => readMemory(child.pid),
    cpuMs: () => readCpuMs(child.pid),
    stop: async () => {
      await stdin.close().catch(() => {});
      const timer = setTimeout(() => killQuietly(child), STOP_TIMEOUT_MS);
      try {
        await child.status;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * A Deno subprocess with its soft open-file limit raised to the hard one (through `sh`, which
 * `exec`s Deno, so the pid is Deno's): a server holding thousands of connections needs a
 * descriptor for each.
 */
export function denoCommand(
  args: readonly string[],
  options: Omit<Deno.CommandOptions, "args">,
): Deno.ChildProcess {
  return new Deno.Command("sh", {
    ...options,
    args: ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', Deno.execPath(), ...args],
  }).spawn();
}

function killQuietly(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // already exited
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
