import assert from "node:assert/strict";
import { CORE_COMMANDS, HISTORY_DEFAULT } from "../../../src/cli/repl/commands.ts";
import { ReplRegistry } from "../../../src/cli/repl/registry.ts";
import { REPL_HELP } from "../../../src/cli/repl/command_table.ts";

const registry = new ReplRegistry(CORE_COMMANDS);
const me = { self: "alice" };
const toBob = { self: "alice", target: "bob" };
/** What the line asks for: the command, or the usage hint, or { kind: "none" }. */
const parse = (line: string, ctx: { self: string; target?: string } = me) => {
  const parsed = registry.parse(line, ctx);
  return parsed.kind === "command" ? parsed.command : parsed;
};
const isUsage = (c: unknown, pattern: RegExp) => {
  assert.equal((c as { kind: string }).kind, "usage");
  assert.match((c as { message: string }).message, pattern);
};

Deno.test("repl: simple commands and blank lines", () => {
  assert.deepEqual(parse(""), { kind: "none" });
  assert.deepEqual(parse("   "), { kind: "none" });
  assert.deepEqual(parse("/help"), { kind: "help" });
  assert.deepEqual(parse("/quit"), { kind: "quit" });
  assert.deepEqual(parse("/EXIT"), { kind: "quit" });
});

Deno.test("repl: /msg and /whisper keep the text's own spacing", () => {
  assert.deepEqual(parse("/msg Bob  hello   there "), {
    kind: "send",
    to: "bob",
    text: " hello   there",
  });
  assert.deepEqual(parse("/whisper bob hi"), { kind: "send", to: "bob", text: "hi" });
  isUsage(parse("/msg"), /^Usage: \/msg <user> <text>$/);
  isUsage(parse("/msg bob"), /Usage: \/msg/);
  isUsage(parse("/msg a!b hi"), /Invalid username.*Usage: \/msg/);
  isUsage(parse("/msg alice hi"), /That is you/);
});

Deno.test("repl: plain text goes to the /to target", () => {
  assert.deepEqual(parse("/to Bob"), { kind: "to", user: "bob" });
  assert.deepEqual(parse("hello bob", toBob), { kind: "send", to: "bob", text: "hello bob" });
  assert.deepEqual(parse("//etc/passwd", toBob), { kind: "send", to: "bob", text: "/etc/passwd" });
  isUsage(parse("hello"), /No recipient: choose one with \/to <user>/);
  isUsage(parse("/to"), /Usage: \/to <user>/);
  isUsage(parse("/to bob carol"), /Usage: \/to/);
});

Deno.test("repl: /history [user|#room] [n]", () => {
  assert.deepEqual(parse("/history"), { kind: "history", limit: HISTORY_DEFAULT });
  assert.deepEqual(parse("/history bob"), { kind: "history", user: "bob", limit: 20 });
  assert.deepEqual(parse("/history 5"), { kind: "history", limit: 5 });
  assert.deepEqual(parse("/history Bob 50"), { kind: "history", user: "bob", limit: 50 });
  isUsage(parse("/history bob 0"), /from 1 to 1000/);
  isUsage(parse("/history bob x"), /from 1 to 1000/);
  isUsage(parse("/history bob 5 6"), /Usage: \/history/);
  assert.deepEqual(parse("/history #Ops"), { kind: "history", room: "#ops", limit: 20 });
  assert.deepEqual(parse("/history #ops 3"), { kind: "history", room: "#ops", limit: 3 });
  isUsage(parse("/history # 3"), /Usage: \/history/);
});

Deno.test("repl: unknown commands get a one-line hint", () => {
  isUsage(parse("/frobnicate"), /^Unknown command \/frobnicate\. Type \/help/);
  const hint = parse("/nope") as { message: string };
  assert.ok(!hint.message.includes("\n"));
  assert.ok(REPL_HELP.some((l) => l.includes("/whisper")));
});
