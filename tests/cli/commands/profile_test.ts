import assert from "node:assert/strict";
import { join } from "node:path";
import { parseProfileArgs, profile } from "../../../src/cli/commands/profile.ts";
import { dispatch, runCommand } from "../../../src/cli/dispatch.ts";
import { openProfile } from "../../../src/peer/profile.ts";
import { capture, fakeEnv } from "../env.ts";

Deno.test("profile args: an action, and --user or --profile", () => {
  const env = fakeEnv({ XDG_DATA_HOME: "/data" });
  assert.deepEqual(parseProfileArgs(["check", "--user", "Bob"], env), {
    help: false,
    action: "check",
    profileDir: "/data/tincan/bob",
  });
  assert.deepEqual(parseProfileArgs(["repair", "--profile", "/p"], env), {
    help: false,
    action: "repair",
    profileDir: "/p",
  });
  assert.deepEqual(parseProfileArgs(["--help"], env), { help: true });
  assert.throws(() => parseProfileArgs(["--user", "bob"], env), /say check or repair/);
  assert.throws(() => parseProfileArgs(["fix", "--user", "bob"], env), /not "fix"/);
  assert.throws(() => parseProfileArgs(["check"], env), /--user NAME is required/);
  assert.throws(() => parseProfileArgs(["check", "x", "--user", "bob"], env), /unexpected "x"/);
});

Deno.test("tincan profile check reports a missing peer.db; repair fixes it; check is then ok", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-profile-cli-" });
  try {
    (await openProfile(dir)).close();
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(join(dir, `peer.db${suffix}`)).catch(() => {});
    }
    const checked = capture();
    assert.equal(await runCommand(profile, ["check", "--profile", dir], checked, fakeEnv()), 1);
    assert.deepEqual(checked.stdout, [
      "identity.key ok",
      "storage.key  ok",
      "peer.db      it is missing",
    ]);
    assert.match(checked.stderr.join("\n"), /tincan profile repair --profile/);

    const repaired = capture();
    assert.equal(await runCommand(profile, ["repair", "--profile", dir], repaired, fakeEnv()), 0);
    assert.match(repaired.stdout[0]!, /^repaired the profile in .* \(peer\.db: it is missing\)$/);
    assert.ok(repaired.stdout.includes("kept: identity.key (the same PeerId and account)"));
    assert.ok(repaired.stdout.some((line) => line.startsWith("lost: the sessions")));

    const again = capture();
    assert.equal(await runCommand(profile, ["check", "--profile", dir], again, fakeEnv()), 0);
    assert.deepEqual(again.stdout, ["identity.key ok", "storage.key  ok", "peer.db      ok"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tincan profile is in the command table, and a refused start names the recovery", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-profile-cli-" });
  try {
    (await openProfile(dir)).close();
    await Deno.remove(join(dir, "storage.key"));
    const io = capture();
    const env = fakeEnv({ TINCAN_PASSWORD: "x" });
    const code = await dispatch(["listen", "--user", "bob", "--profile", dir], io, env);
    assert.equal(code, 1);
    assert.match(
      io.stderr[0]!,
      /^tincan: Cannot use the tincan profile in .*: storage\.key: it is missing/,
    );
    assert.match(io.stderr[0]!, /tincan profile repair --profile/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
