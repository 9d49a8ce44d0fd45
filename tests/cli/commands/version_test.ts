import assert from "node:assert/strict";
import { versionLines } from "../../../src/cli/commands/version.ts";
import { PROTOCOL } from "../../../src/protocol/ids.ts";
import { VERSION } from "../../../src/version.ts";

Deno.test("version lines: tincan's version, Deno's, then one protocol id a line", () => {
  const lines = versionLines("9.9.9");
  assert.deepEqual(lines.slice(0, 3), [`tincan ${VERSION}`, "deno 9.9.9", "protocols:"]);
  assert.equal(lines.length, 3 + Object.keys(PROTOCOL).length);
  assert.ok(lines.includes(`  account     ${PROTOCOL.account}`), lines.join("\n"));
  const column = lines[3]!.indexOf("/");
  for (const line of lines.slice(3)) assert.equal(line.indexOf("/"), column, line);
});
