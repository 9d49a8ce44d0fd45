/**
 * The single-file build: `deno task bundle` writes dist/tincan.js (every npm package inlined),
 * and this says how to build it and how to run it as the shipped binary would run.
 */
import { fileURLToPath } from "node:url";
import { RUNTIME_PERMISSIONS } from "./permissions.ts";

/** The repository root, absolute. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** dist/tincan.js, absolute: what `deno task bundle` writes. */
export const BUNDLE = fileURLToPath(new URL("../dist/tincan.js", import.meta.url));

/**
 * Runs `deno task bundle` with the Deno running this code and returns the bundle's path.
 * @throws Error when the bundler fails (its output is in the message).
 */
export async function buildBundle(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "bundle"],
    cwd: ROOT,
    stdin: "null",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr);
    throw new Error(`Cannot bundle tincan: deno task bundle exited ${out.code}:\n${text}`);
  }
  return BUNDLE;
}

/**
 * The argv that runs the bundle at `path` as a compiled binary runs: cached modules only (no
 * download), no deno.json, no prompt, and only RUNTIME_PERMISSIONS.
 */
export function bundleArgv(path: string): string[] {
  return [
    Deno.execPath(),
    "run",
    "--cached-only",
    "--no-config",
    "--no-prompt",
    ...RUNTIME_PERMISSIONS,
    path,
  ];
}
