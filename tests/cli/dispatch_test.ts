import assert from "node:assert/strict";
import { COMMANDS, dispatch, HELP } from "../../src/cli/dispatch.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { VERSION } from "../../src/version.ts";

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

Deno.test("tincan --help lists every command", async () => {
  const io = capture();
  assert.equal(await dispatch(["--help"], io), 0);
  assert.equal(io.stdout.join("\n"), HELP);
  for (const command of ["rendezvous", "register", "whoami", "chat", "send", "listen"]) {
    assert.match(HELP, new RegExp(`^  ${command} `, "m"), command);
  }
});

Deno.test("tincan with no command prints help and exits 2", async () => {
  const io = capture();
  assert.equal(await dispatch([], io), 2);
  assert.match(io.stdout.join("\n"), /Usage: tincan <command>/);
});

Deno.test("tincan --version", async () => {
  const io = capture();
  assert.equal(await dispatch(["--version"], io), 0);
  assert.deepEqual(io.stdout, [`tincan ${VERSION}`]);
});

Deno.test("an unknown command is a usage error with a hint", async () => {
  const io = capture();
  assert.equal(await dispatch(["frobnicate"], io), 2);
  assert.match(io.stderr[0]!, /unknown command "frobnicate"/);
  assert.match(io.stderr[1]!, /tincan --help/);
});

Deno.test("every command has --help", async () => {
  for (const command of Object.keys(COMMANDS)) {
    const io = capture();
    assert.equal(await dispatch([command, "--help"], io), 0, command);
    assert.match(io.stdout.join("\n"), new RegExp(`Usage: tincan ${command}`));
  }
});

Deno.test("the peer commands exist", () => {
  assert.deepEqual(Object.keys(COMMANDS).sort(), [
    "admin",
    "chat",
    "listen",
    "register",
    "rendezvous",
    "send",
    "send-file",
    "whoami",
  ]);
});

Deno.test("a missing --user is a usage error for every peer command", async () => {
  for (const command of ["register", "whoami", "chat", "send", "listen", "send-file"]) {
    const io = capture();
    assert.equal(await dispatch([command], io), 2, command);
    assert.match(io.stderr[0]!, new RegExp(`^tincan: ${command}: --user NAME is required`));
    assert.match(io.stderr[1]!, new RegExp(`tincan ${command} --help`));
  }
});

Deno.test("a bad flag prints one clear line and the command's help hint, exit 2", async () => {
  const io = capture();
  assert.equal(await dispatch(["rendezvous", "--listen", "nope"], io), 2);
  assert.equal(io.stderr.length, 2);
  assert.match(io.stderr[0]!, /^tincan: rendezvous: --listen "nope" is not a valid multiaddr/);
  assert.match(io.stderr[1]!, /tincan rendezvous --help/);
});
