import assert from "node:assert/strict";
import { replRegistry } from "../../../src/cli/repl/command_table.ts";

Deno.test("repl: /servers and /trust-server are in /help; Tab completes servers for /list", () => {
  const registry = replRegistry({ rooms: false, files: false });
  for (const usage of ["/servers", "/trust-server <server> [fingerprint]", "/list [more|server]"]) {
    assert.ok(registry.help().some((line) => line.startsWith(`  ${usage} `)), usage);
  }
  const names = { users: ["bob", "wendy"], rooms: [], files: [], servers: ["home", "work"] };
  assert.deepEqual(registry.complete("/list w", names).candidates, ["work"]);
  assert.deepEqual(registry.complete("/trust-server ", names).candidates, ["home", "work"]);
  assert.deepEqual(registry.complete("/msg w", names).candidates, ["wendy"]);
  const parsed = registry.parse("/list Work", { self: "alice", home: "home" });
  assert.equal(parsed.kind, "command");
  assert.equal(registry.parse("/list a b", { self: "alice" }).kind, "usage");
  assert.equal(registry.parse("/msg alice@home hi", { self: "alice", home: "home" }).kind, "usage");
});
