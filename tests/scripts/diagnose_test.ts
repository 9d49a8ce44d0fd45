import assert from "node:assert/strict";
import { diagnose } from "../../scripts/diagnose.ts";

Deno.test("diagnose names the missing permission from Deno's NotCapable error", () => {
  const stderr = "\x1b[1m\x1b[31merror\x1b[0m: Uncaught (in promise) NotCapable: Requires sys " +
    'access to "hostname", run again with the --allow-sys flag\n    at Object.hostname';
  assert.deepEqual(diagnose(stderr), ['missing permission --allow-sys (sys access to "hostname")']);
});

Deno.test("diagnose names FFI (a native addon) and subprocess attempts", () => {
  const stderr = [
    'NotCapable: Requires ffi access to "/x/addon.node", run again with the --allow-ffi flag',
    'NotCapable: Requires run access to "sh", run again with the --allow-run flag',
    'NotCapable: Requires run access to "sh", run again with the --allow-run flag',
  ].join("\n");
  assert.deepEqual(diagnose(stderr), [
    'missing permission --allow-ffi (ffi access to "/x/addon.node")',
    'missing permission --allow-run (run access to "sh")',
  ]);
});

Deno.test("diagnose names an import that reaches outside the bundle", () => {
  const stderr = [
    "error: Uncaught (in promise) TypeError: Failed loading https://registry.npmjs.org/left-pad",
    '    0: npm package not found in cache: "left-pad", --cached-only is specified.',
    'TypeError: Specifier not found in cache: "https://deno.land/x/a.ts", --cached-only is specified.',
    'TypeError: Module not found "file:///tmp/b/opaque.wasm".',
  ].join("\n");
  assert.deepEqual(diagnose(stderr), [
    'import outside the bundle: the npm package "left-pad" is not inlined',
    "import outside the bundle: https://deno.land/x/a.ts is not inlined",
    "import outside the bundle: file:///tmp/b/opaque.wasm (a file beside the bundle, not in it)",
  ]);
});

Deno.test("diagnose finds nothing in an ordinary failure", () => {
  assert.deepEqual(diagnose("tincan: not delivered to zed: there is no user zed"), []);
});
