import assert from "node:assert/strict";
import { binaryPath, compileArgs, parseCompileArgs, TARGETS } from "../../scripts/compile.ts";
import { RUNTIME_PERMISSIONS } from "../../scripts/permissions.ts";

Deno.test("compile builds the five release targets by default, or those named", () => {
  assert.deepEqual(parseCompileArgs([]), [...TARGETS]);
  assert.equal(TARGETS.length, 5);
  assert.deepEqual(parseCompileArgs(["--target", "aarch64-apple-darwin"]), [
    "aarch64-apple-darwin",
  ]);
  assert.throws(() => parseCompileArgs(["--target", "riscv64"]), /unknown target "riscv64"/);
  assert.throws(() => parseCompileArgs(["--all"]), /--all/);
});

Deno.test("compile grants exactly the runtime permissions: no -A, no FFI, no subprocess", () => {
  for (const target of TARGETS) {
    const args = compileArgs(target, "dist/tincan.js");
    const granted = args.filter((arg) => arg.startsWith("--allow") || arg === "-A");
    assert.deepEqual(granted, [...RUNTIME_PERMISSIONS]);
    assert.ok(!granted.some((flag) => /all|ffi|run/.test(flag.replace("--allow-", ""))));
    assert.equal(args.at(-1), "dist/tincan.js", "compiles the tested bundle");
    assert.equal(args[args.indexOf("--output") + 1], binaryPath(target));
  }
  assert.equal(binaryPath("x86_64-pc-windows-msvc"), "dist/tincan-x86_64-pc-windows-msvc.exe");
  assert.equal(binaryPath("x86_64-unknown-linux-gnu"), "dist/tincan-x86_64-unknown-linux-gnu");
});
