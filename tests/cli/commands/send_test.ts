import assert from "node:assert/strict";
import { DEFAULT_SEND_TIMEOUT_S, parseSendArgs } from "../../../src/cli/commands/send.ts";
import { UsageError } from "../../../src/errors.ts";
import { fakeEnv } from "../env.ts";

const env = fakeEnv({ HOME: "/home/u" });

Deno.test("send args: the words after the flags are the text", () => {
  const args = parseSendArgs(["--user", "alice", "--to", "Bob", "hello", "there"], env);
  assert.deepEqual(args, {
    help: false,
    user: "alice",
    profileDir: "/home/u/.local/share/tincan/alice",
    rendezvous: undefined,
    to: "bob",
    text: "hello there",
    timeoutMs: DEFAULT_SEND_TIMEOUT_S * 1000,
  });
  const dashed = parseSendArgs(["-u", "alice", "--to", "bob", "--timeout", "3", "--", "--x"], env);
  assert.ok(!dashed.help);
  assert.equal(dashed.text, "--x");
  assert.equal(dashed.timeoutMs, 3000);
});

Deno.test("send args: --help; bad input is a UsageError", () => {
  assert.deepEqual(parseSendArgs(["--help"], env), { help: true });
  assert.throws(() => parseSendArgs(["--user", "alice", "hi"], env), /--to USER is required/);
  assert.throws(() => parseSendArgs(["--user", "alice", "--to", "bob"], env), /empty/);
  assert.throws(() => parseSendArgs(["--user", "alice", "--to", "alice", "hi"], env), /yourself/);
  assert.throws(() => parseSendArgs(["--user", "alice", "--to", "b c", "hi"], env), UsageError);
  assert.throws(
    () => parseSendArgs(["--user", "alice", "--to", "bob", "--timeout", "0", "hi"], env),
    /--timeout must be a whole number/,
  );
  assert.throws(() => parseSendArgs(["--to", "bob", "hi"], env), /--user NAME is required/);
});
