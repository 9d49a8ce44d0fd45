/**
 * The single-file build: `deno task bundle`, then the smoke scenario (scripts/smoke.ts, the one
 * the release workflow runs on each binary) on a copy of the bundle alone in a directory, from an
 * empty DENO_DIR with --cached-only --no-config and exactly RUNTIME_PERMISSIONS. Passing proves no
 * download at start, no read of a source file, no import outside the bundle, no native addon (no
 * --allow-ffi), and that the permission set is enough.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildBundle, bundleArgv } from "../../scripts/bundle.ts";
import { runSmoke } from "../../scripts/smoke.ts";

/** Specifiers of the bundle's static imports (esbuild writes them at the start of a line). */
function staticImports(code: string): string[] {
  return [...code.matchAll(/^import\s[^;]*?from\s*"([^"]+)";?$/gm)].map((m) => m[1]!);
}

/** Specifiers of `import("…")` calls with a literal (not JSDoc `{import('…')}` types). */
function dynamicImports(code: string): string[] {
  return [...code.matchAll(/(?<![{\w.])import\(\s*["'`]([^"'`]+)["'`]/g)].map((m) => m[1]!);
}

async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) files.push(...await filesUnder(path));
      else files.push(path);
    }
  } catch (err: unknown) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return files;
}

Deno.test({
  name: "the bundle runs the smoke scenario alone, offline, with only the compile permissions",
  async fn() {
    const bundle = await buildBundle();
    const code = await Deno.readTextFile(bundle);
    const outside = staticImports(code).filter((specifier) => !specifier.startsWith("node:"));
    assert.deepEqual(outside, [], "the bundle imports modules it does not contain");
    assert.deepEqual(dynamicImports(code), [], "the bundle imports modules at run time");

    const alone = await Deno.makeTempDir({ prefix: "tincan-bundle-" });
    const denoDir = join(alone, "deno-dir");
    try {
      const copy = join(alone, "tincan.js");
      await Deno.copyFile(bundle, copy);
      await Deno.mkdir(denoDir);
      await runSmoke(bundleArgv(copy), { env: { DENO_DIR: denoDir } });
      const fetched = (await filesUnder(join(denoDir, "npm")))
        .concat(await filesUnder(join(denoDir, "remote")));
      assert.deepEqual(fetched, [], "running the bundle put modules in its DENO_DIR");
    } finally {
      await Deno.remove(alone, { recursive: true });
    }
  },
});

Deno.test("the import scan finds static and dynamic imports, not JSDoc types", () => {
  const code = [
    'import { a } from "node:os";',
    'import b from "npm:left-pad";',
    "/** @param {import('uint8arrays/to-string').X} e */",
    'const c = await import("./plugin.js");',
  ].join("\n");
  assert.deepEqual(staticImports(code), ["node:os", "npm:left-pad"]);
  assert.deepEqual(dynamicImports(code), ["./plugin.js"]);
});
