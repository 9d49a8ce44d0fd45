import assert from "node:assert/strict";
import { UsageError } from "../../../src/errors.ts";
import { resolve } from "node:path";
import { earlierOffer, parseSendFileArgs } from "../../../src/cli/commands/send_file.ts";
import { parseListenArgs } from "../../../src/cli/commands/listen.ts";

const env = (name: string) => name === "HOME" ? "/home/test" : undefined;

Deno.test("send-file takes --to and exactly one PATH", () => {
  const parsed = parseSendFileArgs(["--user", "alice", "--to", "Bob", "a b.txt"], env);
  assert.ok(!parsed.help);
  assert.equal(parsed.to, "bob");
  assert.equal(parsed.path, "a b.txt");
  assert.equal(parsed.timeoutMs, 120_000);
  assert.throws(() => parseSendFileArgs(["--user", "alice", "--to", "bob"], env), UsageError);
  assert.throws(() => parseSendFileArgs(["-u", "alice", "--to", "bob", "a", "b"], env), UsageError);
  assert.throws(() => parseSendFileArgs(["-u", "alice", "--to", "alice", "a"], env), UsageError);
});

Deno.test("listen takes --accept-files DIR and --max-file-size SIZE", () => {
  const parsed = parseListenArgs(
    ["--user", "bob", "--accept-files", "in", "--max-file-size", "10MiB"],
    env,
  );
  assert.ok(!parsed.help);
  assert.equal(parsed.acceptFiles, "in");
  assert.equal(parsed.maxFileBytes, 10 * 1024 * 1024);
  assert.throws(
    () => parseListenArgs(["--user", "bob", "--max-file-size", "lots"], env),
    /--max-file-size/,
  );
});

Deno.test("earlierOffer: the open offer of the same file to the same user, else none", () => {
  const base = {
    id: "aa",
    peer: "bob",
    outgoing: true,
    name: "a.txt",
    size: 10,
    sha256: "00",
    path: resolve("a.txt"),
    status: "offered" as const,
    reason: "",
  };
  assert.equal(earlierOffer([base], "bob", "a.txt", 10)?.id, "aa");
  assert.equal(earlierOffer([{ ...base, status: "accepted" }], "bob", "a.txt", 10)?.id, "aa");
  assert.equal(earlierOffer([{ ...base, status: "failed" }], "bob", "a.txt", 10), undefined);
  assert.equal(earlierOffer([base], "carol", "a.txt", 10), undefined);
  assert.equal(earlierOffer([base], "bob", "a.txt", 11), undefined, "the file changed");
  assert.equal(earlierOffer([{ ...base, outgoing: false }], "bob", "a.txt", 10), undefined);
  assert.equal(earlierOffer([base, { ...base, id: "bb" }], "bob", "./a.txt", 10)?.id, "bb");
});
