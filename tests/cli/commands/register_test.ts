import assert from "node:assert/strict";
import { parseRegisterArgs } from "../../../src/cli/commands/register.ts";
import { UsageError } from "../../../src/errors.ts";
import { fakeEnv } from "../env.ts";

const env = fakeEnv({ HOME: "/home/u" });

Deno.test("register args: user, rendezvous, profile", () => {
  assert.deepEqual(
    parseRegisterArgs(["--user", "alice", "--rendezvous", "/ip4/127.0.0.1/tcp/4001"], env),
    {
      help: false,
      user: "alice",
      profileDir: "/home/u/.local/share/tincan/alice",
      rendezvous: "/ip4/127.0.0.1/tcp/4001",
    },
  );
  assert.equal(parseRegisterArgs(["-u", "bob", "--profile", "/p"], env).help, false);
});

Deno.test("register args: --help needs nothing else; bad input is a UsageError", () => {
  assert.deepEqual(parseRegisterArgs(["--help"], env), { help: true });
  assert.throws(() => parseRegisterArgs([], env), /--user NAME is required/);
  assert.throws(() => parseRegisterArgs(["--user", "alice", "extra"], env), UsageError);
  assert.throws(() => parseRegisterArgs(["--user", "alice", "--to", "bob"], env), UsageError);
});
