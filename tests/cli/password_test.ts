/** The password prompt over a stubbed stdin: no terminal needed. */
import assert from "node:assert/strict";
import { dropLastGrapheme, MAX_PASSWORD_BYTES, readPassword } from "../../src/cli/password.ts";
import { UsageError } from "../../src/errors.ts";
import { capture, fakeEnv, stubStdin } from "./env.ts";

const onTerminal = (...chunks: (string | Uint8Array)[]) => {
  const stdin = stubStdin(chunks, true);
  return { stdin, source: { env: fakeEnv(), io: capture(stdin) } };
};

Deno.test("password: TINCAN_PASSWORD wins, and nothing is read", async () => {
  const stdin = stubStdin(["typed\r"], true);
  const io = capture(stdin);
  const env = fakeEnv({ TINCAN_PASSWORD: "from env" });
  assert.equal(await readPassword({ env, io }, "alice"), "from env");
  assert.deepEqual(stdin.rawModes, []);
  assert.deepEqual(io.errText, []);
});

Deno.test("password: without a terminal and without TINCAN_PASSWORD it is a usage error", async () => {
  const source = { env: fakeEnv({ TINCAN_PASSWORD: "" }), io: capture(stubStdin(["x\r"])) };
  await assert.rejects(() => readPassword(source, "alice"), /set TINCAN_PASSWORD/);
});

Deno.test("password: read in raw mode, without echo, up to Enter", async () => {
  const { stdin, source } = onTerminal("hunter", "2\rignored");
  assert.equal(await readPassword(source, "alice"), "hunter2");
  assert.deepEqual(stdin.rawModes, [true, false]);
  assert.deepEqual(source.io.errText, ["Password for alice: ", "\n"]);
});

Deno.test("password: a non-ASCII password survives, even split inside a character", async () => {
  const bytes = new TextEncoder().encode("pässwörd ключ 🔑\r");
  const { source } = onTerminal(bytes.subarray(0, 2), bytes.subarray(2, 13), bytes.subarray(13));
  assert.equal(await readPassword(source, "alice"), "pässwörd ключ 🔑");
});

Deno.test("password: Backspace removes one character, not one byte", async () => {
  assert.equal(await readPassword(onTerminal("é\x7f\x7fabcé\x7fd\r").source, "a"), "abcd");
  assert.equal(await readPassword(onTerminal("key🔑\x7f!\r").source, "a"), "key!");
  // A letter with a combining accent, a flag and a family emoji are one character each.
  assert.equal(await readPassword(onTerminal("ok e\u0301\b\r").source, "a"), "ok ");
  assert.equal(await readPassword(onTerminal("x🇫🇷👨‍👩‍👧\x7f\x7f\r").source, "a"), "x");
});

Deno.test("password: confirmation must match; Ctrl-C cancels; empty is refused", async () => {
  assert.equal(
    await readPassword(onTerminal("ключ\r", "ключ\r").source, "a", { confirm: true }),
    "ключ",
  );
  await assert.rejects(
    () => readPassword(onTerminal("ключ\r", "ключь\x7f\x7f\r").source, "a", { confirm: true }),
    /the two passwords differ/,
  );
  const { stdin, source } = onTerminal("abc\x03");
  await assert.rejects(() => readPassword(source, "a"), UsageError);
  assert.deepEqual(stdin.rawModes, [true, false]);
  await assert.rejects(() => readPassword(onTerminal("\r").source, "a"), /empty/);
});

Deno.test("password: the terminal input is bounded", async () => {
  const long = "é".repeat(MAX_PASSWORD_BYTES);
  const password = await readPassword(onTerminal(long, "\r").source, "a");
  assert.equal(new TextEncoder().encode(password).length, MAX_PASSWORD_BYTES);
});

Deno.test("dropLastGrapheme", () => {
  assert.equal(dropLastGrapheme(""), "");
  assert.equal(dropLastGrapheme("ab"), "a");
  assert.equal(dropLastGrapheme("a👍🏽"), "a");
});

Deno.test("password: a prompt still waiting is drawn again (Deno's download progress may clear it)", async () => {
  const stdin = stubStdin(["secret\r"], true);
  const read = stdin.read;
  const slow = {
    ...stdin,
    read: (buffer: Uint8Array) =>
      new Promise<number | null>((resolve) => setTimeout(() => resolve(read(buffer)), 60)),
  };
  const io = capture(slow);
  const password = await readPassword({ env: fakeEnv(), io, redrawMs: [10, 5_000] }, "alice");
  assert.equal(password, "secret");
  // Drawn, drawn again once (the later redraw was cancelled when the line ended), then Enter.
  assert.deepEqual(io.errText, ["Password for alice: ", "\r\x1b[2KPassword for alice: ", "\n"]);
});
