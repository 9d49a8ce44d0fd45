/** Test helpers for the CLI: a fake environment and captured output. */
import type { CliIO } from "../../src/cli/io.ts";
import type { Env } from "../../src/cli/peer_args.ts";

/** An environment holding only `vars`. */
export function fakeEnv(vars: Record<string, string> = {}): Env {
  return (name) => vars[name];
}

/** A CliIO that keeps what was printed. */
export function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}
