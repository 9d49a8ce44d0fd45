/** Runs the real `tincan` (main.ts) as a child process, with the permissions the tasks grant. */
import { fileURLToPath } from "node:url";

/** main.ts, absolute. */
export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** The permissions of the deno.json tasks. */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=networkInterfaces",
];

/** The password every test account uses (passed as TINCAN_PASSWORD). */
export const TEST_PASSWORD = "correct horse battery staple";

/** The environment of a child: the test password, no colours, no inherited rendezvous. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { TINCAN_PASSWORD: TEST_PASSWORD, NO_COLOR: "1", TINCAN_RENDEZVOUS: "", ...extra };
}

/** The argv that runs `tincan <args>`. */
export function tincanArgv(args: readonly string[]): string[] {
  return [Deno.execPath(), "run", ...PERMISSIONS, MAIN, ...args];
}

/** Where a child runs: `within` wraps its argv (e.g. to run it in a network namespace). */
export interface ChildPlace {
  readonly within?: (argv: string[]) => string[];
}

/** Runs `tincan <args>` to completion. */
export async function runTincan(
  args: readonly string[],
  env: Record<string, string> = childEnv(),
  place: ChildPlace = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = tincanArgv(args);
  const [exe, ...rest] = place.within ? place.within(argv) : argv;
  const out = await new Deno.Command(exe!, { args: rest, env, stdin: "null" }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** A running `tincan <args>` whose output is collected as it comes. */
export interface RunningTincan {
  /** The child's process id (to signal it directly, e.g. SIGSTOP). */
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  readonly status: Promise<Deno.CommandStatus>;
  /** Sends `signal` and waits for the exit. */
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Writes `line` and a newline to its stdin (when started with `{ stdin: true }`). */
  type(line: string): Promise<void>;
}

/** Starts `tincan <args>` in the background. */
export function spawnTincan(
  args: readonly string[],
  env: Record<string, string> = childEnv(),
  options: { stdin?: boolean } & ChildPlace = {},
): RunningTincan {
  const argv = tincanArgv(args);
  const [exe, ...rest] = options.within ? options.within(argv) : argv;
  const child = new Deno.Command(exe!, {
    args: rest,
    env,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  let stderr = "";
  const drain = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) add(chunk);
  };
  const drained = Promise.all([
    drain(child.stdout, (s) => stdout += s),
    drain(child.stderr, (s) => stderr += s),
  ]);
  const status = drained.then(() => child.status);
  return {
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    status,
    async type(line: string) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(`${line}\n`));
      writer.releaseLock();
    },
    async kill(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      return await status;
    },
  };
}
