import assert from "node:assert/strict";
import { join } from "node:path";
import {
  formatLockOwner,
  inUseMessage,
  LOCK_FILE,
  lockProfile,
  parseLockOwner,
  ProfileInUseError,
} from "../../src/peer/profile_lock.ts";

const ME = { pid: Deno.pid, command: "tincan chat" };

Deno.test("profile lock: the owner record round-trips; damage names no one", () => {
  assert.deepEqual(parseLockOwner(formatLockOwner({ pid: 1234, command: "tincan send" })), {
    pid: 1234,
    command: "tincan send",
  });
  assert.equal(parseLockOwner(""), undefined);
  assert.equal(parseLockOwner('{"pid":"x"}'), undefined);
  assert.equal(parseLockOwner("[]"), undefined);
  assert.equal(
    inUseMessage("alice", { pid: 1234, command: "tincan chat" }).split(":")[0],
    "alice's profile is in use by process 1234 (tincan chat)",
  );
  assert.match(inUseMessage("alice", undefined), /^alice's profile is in use by another process/);
});

Deno.test("profile lock: a second holder is refused with the first one's PID; release frees it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await lockProfile(dir, "alice", ME);
    await assert.rejects(() => lockProfile(dir, "alice", ME), (err: unknown) => {
      assert.ok(err instanceof ProfileInUseError);
      assert.match(err.message, new RegExp(`in use by process ${Deno.pid} \\(tincan chat\\)`));
      return true;
    });
    first.release();
    first.release(); // idempotent
    const second = await lockProfile(dir, "alice", { pid: 42, command: "tincan send" });
    assert.deepEqual(parseLockOwner(await Deno.readTextFile(join(dir, LOCK_FILE))), {
      pid: 42,
      command: "tincan send",
    });
    second.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("profile lock: another process holds it until it dies; its stale file blocks no one", async () => {
  const dir = await Deno.makeTempDir();
  const holder = join(dir, "holder.ts");
  const module = new URL("../../src/peer/profile_lock.ts", import.meta.url).href;
  await Deno.writeTextFile(
    holder,
    `import { lockProfile } from ${JSON.stringify(module)};\n` +
      `await lockProfile(Deno.args[0], "alice", { pid: Deno.pid, command: "tincan chat" });\n` +
      `console.log("locked");\n` +
      `await new Promise(() => setInterval(() => {}, 1000));\n`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", holder, dir],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await reader.read()).value?.trim(), "locked");
    await assert.rejects(
      () => lockProfile(dir, "alice", ME),
      new RegExp(`alice's profile is in use by process ${child.pid} \\(tincan chat\\)`),
    );
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    // The OS dropped the lock with the process; the file it left does not matter.
    const lock = await lockProfile(dir, "alice", ME);
    lock.release();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already dead
    }
    await child.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
