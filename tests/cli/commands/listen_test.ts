import assert from "node:assert/strict";
import { messageJson, messageLine, parseListenArgs } from "../../../src/cli/commands/listen.ts";
import { UsageError } from "../../../src/errors.ts";
import { fakeEnv } from "../env.ts";

const env = fakeEnv({ HOME: "/home/u" });

Deno.test("listen args", () => {
  assert.deepEqual(parseListenArgs(["--user", "bob"], env), {
    help: false,
    user: "bob",
    profileDir: "/home/u/.local/share/tincan/bob",
    rendezvous: undefined,
    json: false,
  });
  const args = parseListenArgs(["--user", "bob", "--json", "--count", "2"], env);
  assert.ok(!args.help);
  assert.equal(args.json, true);
  assert.equal(args.count, 2);
  assert.deepEqual(parseListenArgs(["--help"], env), { help: true });
  assert.throws(() => parseListenArgs(["--user", "bob", "--count", "0"], env), /--count/);
  assert.throws(() => parseListenArgs(["--user", "bob", "stray"], env), UsageError);
});

const message = {
  type: "message" as const,
  id: "00ff",
  from: "alice",
  to: "bob",
  text: "hi\x1b[2J",
  sentAt: Date.UTC(2024, 0, 2, 3, 4, 5),
  keyChanged: false,
  trusted: true,
  via: "mailbox" as const,
};

Deno.test("listen --json prints one object per message", () => {
  const line = messageJson(message);
  assert.ok(!line.includes("\n"));
  assert.deepEqual(JSON.parse(line), message);
});

Deno.test("listen --json says trusted: false for a changed key not yet trusted", () => {
  const untrusted = { ...message, keyChanged: true, trusted: false };
  assert.equal(JSON.parse(messageJson(untrusted)).trusted, false);
  assert.match(messageLine(untrusted), /alice\? \(UNTRUSTED new key\): /);
});

Deno.test("listen's human line cannot carry terminal escapes", () => {
  assert.match(messageLine(message), /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] alice: hi\ufffd\[2J$/);
});
