import assert from "node:assert/strict";
import { CHAT_HELP, parseChatArgs } from "../../../src/cli/commands/chat.ts";
import { UsageError } from "../../../src/errors.ts";
import { fakeEnv } from "../env.ts";

const env = fakeEnv({ XDG_DATA_HOME: "/data" });

Deno.test("chat args", () => {
  assert.deepEqual(parseChatArgs(["--user", "alice"], env), {
    help: false,
    user: "alice",
    profileDir: "/data/tincan/alice",
    rendezvous: undefined,
  });
  assert.deepEqual(parseChatArgs(["--help"], env), { help: true });
  assert.throws(() => parseChatArgs([], env), /--user NAME is required/);
  assert.throws(() => parseChatArgs(["--user", "alice", "hello"], env), UsageError);
  assert.throws(() => parseChatArgs(["--user", "alice", "--rendezvous", "x"], env), UsageError);
});

Deno.test("chat help lists the REPL commands and the embedded rendezvous", () => {
  for (const word of ["/msg", "/whisper", "/to", "/verify", "/trust", "/history", "/quit"]) {
    assert.ok(CHAT_HELP.includes(word), word);
  }
  assert.match(CHAT_HELP, /starts one in this process/);
});
