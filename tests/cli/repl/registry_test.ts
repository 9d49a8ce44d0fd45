/** The REPL's command registry: one tokeniser, /help and completions built from the entries. */
import assert from "node:assert/strict";
import {
  type ReplEntry,
  ReplRegistry,
  type ReplRuntime,
  usageHint,
} from "../../../src/cli/repl/registry.ts";
import { style } from "../../../src/cli/repl/format.ts";
import { REPL_HELP, replRegistry } from "../../../src/cli/repl/command_table.ts";

const ctx = { self: "alice" };

/** A test entry that records its words, and declines arguments starting with `declines`. */
function entry(name: string, aliases: string[] = [], declines?: string): ReplEntry<string> {
  return {
    name,
    aliases,
    usage: `/${name} <x>`,
    summary: `the ${name} command`,
    parse: ({ args, rest }) => {
      if (declines !== undefined && args[0]?.startsWith(declines)) return undefined;
      return args.length === 0 ? usageHint(`/${name} <x>`, "no x") : `${name}:${rest(1)}`;
    },
    run: () => {},
  };
}

Deno.test("registry: a line finds its entry by name or alias, case-insensitively", () => {
  const registry = new ReplRegistry([entry("msg", ["whisper"]), entry("quit")]);
  const parsed = registry.parse("/WHISPER bob  hi there ", ctx);
  assert.equal(parsed.kind, "command");
  assert.equal(parsed.kind === "command" && parsed.command, "msg:bob  hi there");
  assert.deepEqual(registry.parse("  ", ctx), { kind: "none" });
  const usage = registry.parse("/quit", ctx);
  assert.equal(usage.kind, "usage");
  assert.match(usage.kind === "usage" ? usage.message : "", /^no x\. Usage: \/quit <x>$/);
});

Deno.test("registry: plain text goes to the conversation as /msg <target> <text>", () => {
  const registry = new ReplRegistry([entry("msg")]);
  const parsed = registry.parse("  spaced  text ", { self: "alice", target: "bob" });
  assert.equal(parsed.kind === "command" && parsed.command, "msg:bob   spaced  text ");
  const slash = registry.parse("//etc", { self: "alice", target: "bob" });
  assert.equal(slash.kind === "command" && slash.command, "msg:bob /etc");
  const nobody = registry.parse("hello", ctx);
  assert.match(nobody.kind === "usage" ? nobody.message : "", /No recipient/);
});

Deno.test("registry: entries of one name share it; the first that takes the words wins", () => {
  const rooms: ReplEntry<string> = {
    ...entry("to"),
    parse: ({ args }) => args[0]?.startsWith("#") ? `room:${args[0]}` : undefined,
  };
  const user: ReplEntry<string> = {
    ...entry("to"),
    parse: ({ args }) => args[0]?.startsWith("#") ? undefined : `user:${args[0]}`,
  };
  const registry = new ReplRegistry([user, rooms]);
  const toRoom = registry.parse("/to #ops", ctx);
  assert.equal(toRoom.kind === "command" && toRoom.command, "room:#ops");
  assert.equal(toRoom.kind === "command" && toRoom.entry, rooms);
  const toUser = registry.parse("/to bob", ctx);
  assert.equal(toUser.kind === "command" && toUser.command, "user:bob");
  // Nobody takes them: the first entry's usage.
  const declining = entry("to", [], "");
  const none = new ReplRegistry([declining]).parse("/to x", ctx);
  assert.deepEqual(none, { ...usageHint("/to <x>"), entry: declining });
});

Deno.test("registry: an unknown command gets a one-line hint, with close names", () => {
  const registry = replRegistry({ rooms: true, files: true });
  const far = registry.parse("/frobnicate", ctx);
  assert.equal(far.kind, "usage");
  assert.equal(
    far.kind === "usage" && far.message,
    "Unknown command /frobnicate. Type /help for the commands.",
  );
  const near = registry.parse("/hist 5", ctx);
  assert.match(near.kind === "usage" ? near.message : "", /Did you mean \/history\?$/);
  const files = registry.parse("/fil x", ctx);
  assert.match(files.kind === "usage" ? files.message : "", /Did you mean \/file or \/files\?$/);
});

Deno.test("registry: completions of a command's name, from names and aliases", () => {
  const registry = replRegistry({ rooms: true, files: true });
  assert.deepEqual(registry.completions("/h"), ["/help", "/history"]);
  assert.deepEqual(registry.completions("/WH"), ["/whisper", "/who", "/whois"]);
  assert.deepEqual(registry.completions("/to"), ["/to"]);
  assert.deepEqual(registry.completions("/zz"), []);
  assert.deepEqual(registry.completions("hello"), []);
  assert.deepEqual(registry.completions("/msg b"), []);
  const all = registry.completions("/");
  for (const word of ["/accept", "/broadcast", "/create", "/quit", "/exit", "/?"]) {
    assert.ok(all.includes(word), word);
  }
  assert.equal(new Set(all).size, all.length);
  assert.deepEqual(replRegistry({ rooms: false, files: false }).completions("/c"), [
    "/clear",
    "/contacts",
  ]);
});

Deno.test("registry: /help is built from the entries, with their aliases", () => {
  const registry = new ReplRegistry([entry("msg", ["whisper"]), entry("quit", ["exit"])]);
  assert.deepEqual(registry.help(), [
    "Commands:",
    "  /msg <x>                  the msg command (also /whisper)",
    "  /quit <x>                 the quit command (also /exit)",
    "Anything else is sent to the conversation chosen with /to (start with // to send a leading /).",
  ]);
  for (const usage of ["/msg <user> <text>", "/create #room", "/to #room", "/file <user> <path>"]) {
    assert.ok(REPL_HELP.some((line) => line.startsWith(`  ${usage} `)), usage);
  }
  const core = replRegistry({ rooms: false, files: false }).help().join("\n");
  assert.ok(!core.includes("/create") && !core.includes("/accept"));
});

Deno.test("registry: run prints a usage hint and runs a command on the runtime", async () => {
  const ran: string[] = [];
  const printed: string[] = [];
  const go: ReplEntry<string> = { ...entry("go"), run: (c) => void ran.push(c) };
  const registry = new ReplRegistry([go]);
  const runtime = {
    style: style(false),
    print: (t: string) => void printed.push(t),
  } as Partial<ReplRuntime> as ReplRuntime;
  await registry.run(registry.parse("/go far", ctx), runtime);
  await registry.run(registry.parse("/go", ctx), runtime);
  assert.deepEqual(ran, ["go:far"]);
  assert.deepEqual(printed, ["no x. Usage: /go <x>"]);
});
