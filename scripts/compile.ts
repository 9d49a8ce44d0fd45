// deno-lint-ignore-file no-console
/**
 * `deno task compile [--target TARGET]…`: the release binaries. Bundles main.ts (deno task
 * bundle), then compiles that one file per target into dist/tincan-<target> with
 * RUNTIME_PERMISSIONS baked in — the file the bundle test proves, with no node_modules tree
 * beside it. Needs Deno's runtime (denort) for each target, downloaded by `deno compile`.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../src/errors.ts";
import { buildBundle, BUNDLE, ROOT } from "./bundle.ts";
import { RUNTIME_PERMISSIONS } from "./permissions.ts";

/** The targets of a release, in `deno compile --target` spelling. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;
/** One release target. */
export type Target = typeof TARGETS[number];

/** The binary's path for `target`, relative to the repository: dist/tincan-<target>[.exe]. */
export function binaryPath(target: Target): string {
  return `dist/tincan-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** The `deno compile` arguments that build `target` from the bundle at `bundle`. */
export function compileArgs(target: Target, bundle: string): string[] {
  return [
    "compile",
    "--no-config",
    ...RUNTIME_PERMISSIONS,
    "--target",
    target,
    "--output",
    binaryPath(target),
    bundle,
  ];
}

/**
 * Parses `--target TARGET` (repeatable; none means every target).
 * @throws UsageError for an unknown flag or target.
 */
export function parseCompileArgs(args: readonly string[]): Target[] {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { target: { type: "string", multiple: true } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err: unknown) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const targets = values.target ?? [...TARGETS];
  for (const target of targets) {
    if (!(TARGETS as readonly string[]).includes(target)) {
      throw new UsageError(`unknown target "${target}"; the targets are ${TARGETS.join(", ")}`);
    }
  }
  return targets as Target[];
}

async function main(args: readonly string[]): Promise<number> {
  let targets;
  try {
    targets = parseCompileArgs(args);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\nUsage: deno task compile [--target TARGET]…`);
    return 2;
  }
  await buildBundle();
  for (const target of targets) {
    console.error(`… ${binaryPath(target)}`);
    const status = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target, BUNDLE),
      cwd: ROOT,
      stdin: "null",
    }).spawn().status;
    if (!status.success) {
      console.error(`deno compile --target ${target} exited ${status.code}`);
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
