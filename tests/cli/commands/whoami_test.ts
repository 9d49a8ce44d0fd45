import assert from "node:assert/strict";
import { groupDigits, parseWhoamiArgs, whoami } from "../../../src/cli/commands/whoami.ts";
import { runCommand } from "../../../src/cli/dispatch.ts";
import { fingerprintDigits } from "../../../src/crypto/safety_number.ts";
import { UsageError } from "../../../src/errors.ts";
import { openProfile } from "../../../src/peer/profile.ts";
import { capture, fakeEnv } from "../env.ts";

Deno.test("whoami args", () => {
  const env = fakeEnv({ XDG_DATA_HOME: "/data" });
  assert.deepEqual(parseWhoamiArgs(["--user", "Alice"], env), {
    help: false,
    user: "alice",
    profileDir: "/data/tincan/alice",
  });
  assert.deepEqual(parseWhoamiArgs(["-h"], env), { help: true });
  assert.throws(() => parseWhoamiArgs([], env), /--user NAME is required/);
  assert.throws(() => parseWhoamiArgs(["--user", "a", "--rendezvous", "/x"], env), UsageError);
});

Deno.test("whoami groups digits in fives", () => {
  assert.equal(groupDigits("123456789012345"), "12345 67890 12345");
});

Deno.test("whoami prints the PeerId and the fingerprint of an existing profile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-whoami-" });
  try {
    const profile = await openProfile(dir);
    const peerId = profile.peerId.toString();
    const digits = fingerprintDigits({
      username: "alice",
      identityKey: profile.identity.publicKey.raw,
    });
    profile.close();
    const io = capture();
    assert.equal(await runCommand(whoami, ["--user", "alice", "--profile", dir], io, fakeEnv()), 0);
    assert.deepEqual(io.stdout, [
      "user         alice",
      `peer id      ${peerId}`,
      `fingerprint  ${groupDigits(digits)}`,
      `profile      ${dir}`,
    ]);
    assert.match(io.stdout[2]!, /^fingerprint {2}(\d{5} ){5}\d{5}$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("whoami without a profile fails clearly and creates nothing", async () => {
  const parent = await Deno.makeTempDir({ prefix: "tincan-whoami-" });
  const dir = `${parent}/nobody`;
  try {
    await assert.rejects(
      () => runCommand(whoami, ["--user", "nobody", "--profile", dir], capture(), fakeEnv()),
      /there is no tincan profile for nobody in .*nobody: run `tincan register --user nobody`/,
    );
    await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
