/**
 * Runs the dashboard scenario (dashboard_browser_scenario.ts) in real Chromium, in a child
 * `deno run -A` (playwright-core reads /proc and the home directory), and saves the screenshot
 * to .ci/out/dashboard.png. Skipped, with the reason printed, when Debian's chromium is missing.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CHROMIUM = "/usr/bin/chromium";
const SCENARIO = fileURLToPath(new URL("./dashboard_browser_scenario.ts", import.meta.url));
const SCREENSHOT = fileURLToPath(new URL("../../.ci/out/dashboard.png", import.meta.url));

function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

const skip = !hasChromium();
if (skip) {
  // deno-lint-ignore no-console
  console.log(
    `${CHROMIUM} is missing (apt-get install -y chromium): the dashboard test is skipped`,
  );
}

Deno.test({
  name: "dashboard in Chromium: login, live presence, disable, delete, CSRF (screenshot)",
  ignore: skip,
}, async () => {
  await Deno.mkdir(fileURLToPath(new URL("../../.ci/out/", import.meta.url)), { recursive: true });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCENARIO, SCREENSHOT],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  assert.equal(
    out.code,
    0,
    `the dashboard scenario failed:\n${decoder.decode(out.stdout)}\n${decoder.decode(out.stderr)}`,
  );
  assert.ok((await Deno.stat(SCREENSHOT)).size > 10_000, "the screenshot was saved");
});
