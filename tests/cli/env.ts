/** Test helpers for the CLI: a fake environment, stubbed stdin and captured output. */
import type { CliInput, CliIO } from "../../src/cli/io.ts";
import type { Env } from "../../src/cli/peer_args.ts";

/** An environment holding only `vars`. */
export function fakeEnv(vars: Record<string, string> = {}): Env {
  return (name) => vars[name];
}

/** A stubbed stdin: `chunks` are what successive reads return, then the end of input. */
export function stubStdin(
  chunks: readonly (string | Uint8Array)[] = [],
  terminal = false,
): CliInput & { readonly rawModes: boolean[] } {
  const queue = chunks.map((c) => typeof c === "string" ? new TextEncoder().encode(c) : c);
  const rawModes: boolean[] = [];
  return {
    rawModes,
    isTerminal: () => terminal,
    setRaw: (raw) => void rawModes.push(raw),
    read(buffer) {
      const chunk = queue.shift();
      if (chunk === undefined) return Promise.resolve(null);
      if (chunk.length > buffer.length) queue.unshift(chunk.subarray(buffer.length));
      const n = Math.min(chunk.length, buffer.length);
      buffer.set(chunk.subarray(0, n));
      return Promise.resolve(n);
    },
  };
}

/** A CliIO that keeps what was printed (lines, and raw stderr text) and reads `stdin`. */
export function capture(stdin: CliInput = stubStdin()): CliIO & {
  stdout: string[];
  stderr: string[];
  errText: string[];
} {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const errText: string[] = [];
  return {
    stdout,
    stderr,
    errText,
    out: (l) => stdout.push(l),
    err: (l) => stderr.push(l),
    stdin,
    errStream: { isTerminal: () => false, write: (text) => void errText.push(text) },
  };
}
