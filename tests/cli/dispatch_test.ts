import assert from "node:assert/strict";
import type { Command } from "../../src/cli/command.ts";
import {
  COMMANDS,
  dispatch,
  findCommand,
  HELP,
  runCommand,
  takeVerbose,
} from "../../src/cli/dispatch.ts";
import { configureLogging, type LogLevel } from "../../src/log.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import { VERSION } from "../../src/version.ts";
import { capture, fakeEnv } from "./env.ts";

const env = fakeEnv();

Deno.test("tincan --help lists every command", async () => {
  const io = capture();
  assert.equal(await dispatch(["--help"], io, env), 0);
  assert.equal(io.stdout.join("\n"), HELP);
  for (const command of ["rendezvous", "register", "whoami", "chat", "send", "listen"]) {
    assert.match(HELP, new RegExp(`^  ${command} `, "m"), command);
  }
  for (const command of COMMANDS) assert.ok(HELP.includes(command.summary), command.name);
});

Deno.test("tincan with no command prints help and exits 2", async () => {
  const io = capture();
  assert.equal(await dispatch([], io, env), 2);
  assert.match(io.stdout.join("\n"), /Usage: tincan <command>/);
});

Deno.test("tincan --version, -V and version print the version, Deno's and the protocols", async () => {
  for (const args of [["--version"], ["-V"], ["version"]]) {
    const io = capture();
    assert.equal(await dispatch(args, io, env), 0, args[0]);
    assert.equal(io.stdout[0], `tincan ${VERSION}`);
    assert.equal(io.stdout[1], `deno ${Deno.version.deno}`);
    assert.equal(io.stdout[2], "protocols:");
    for (const [name, id] of Object.entries(PROTOCOL)) {
      assert.ok(io.stdout.some((l) => new RegExp(`^ +${name} +${id}$`).test(l)), id);
    }
    assert.deepEqual(io.stderr, []);
  }
  const io = capture();
  assert.equal(await dispatch(["version", "extra"], io, env), 2);
});

Deno.test("tincan help <command> is that command's --help", async () => {
  const io = capture();
  assert.equal(await dispatch(["help", "send"], io, env), 0);
  assert.equal(io.stdout.join("\n"), findCommand("send")!.help);
  const bad = capture();
  assert.equal(await dispatch(["help", "frobnicate"], bad, env), 2);
  assert.match(bad.stderr[0]!, /unknown command "frobnicate"/);
});

Deno.test("an unknown command is a usage error with a hint", async () => {
  const io = capture();
  assert.equal(await dispatch(["frobnicate"], io, env), 2);
  assert.match(io.stderr[0]!, /unknown command "frobnicate"/);
  assert.match(io.stderr[1]!, /tincan --help/);
});

Deno.test("every command has --help", async () => {
  for (const { name } of COMMANDS) {
    const io = capture();
    assert.equal(await dispatch([name, "--help"], io, env), 0, name);
    assert.match(io.stdout.join("\n"), new RegExp(`Usage: tincan ${name}`));
  }
});

Deno.test("the commands exist, each once", () => {
  assert.deepEqual(COMMANDS.map((c) => c.name).sort(), [
    "admin",
    "chat",
    "listen",
    "register",
    "rendezvous",
    "route",
    "send",
    "send-file",
    "version",
    "whoami",
  ]);
});

Deno.test("a missing --user is a usage error for every peer command", async () => {
  for (const command of ["register", "whoami", "chat", "send", "listen", "send-file", "route"]) {
    const io = capture();
    assert.equal(await dispatch([command], io, env), 2, command);
    assert.match(io.stderr[0]!, new RegExp(`^tincan: ${command}: --user NAME is required`));
    assert.match(io.stderr[1]!, new RegExp(`tincan ${command} --help`));
  }
});

Deno.test("a bad flag prints one clear line and the command's help hint, exit 2", async () => {
  const io = capture();
  assert.equal(await dispatch(["rendezvous", "--listen", "nope"], io, env), 2);
  assert.equal(io.stderr.length, 2);
  assert.match(io.stderr[0]!, /^tincan: rendezvous: --listen "nope" is not a valid multiaddr/);
  assert.match(io.stderr[1]!, /tincan rendezvous --help/);
});

Deno.test("a failing command prints one line and exits 1; TINCAN_DEBUG adds the stack", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-dispatch-" });
  try {
    const args = ["whoami", "--user", "nobody", "--profile", `${dir}/none`];
    const io = capture();
    assert.equal(await dispatch(args, io, env), 1);
    assert.equal(io.stderr.length, 1);
    assert.match(io.stderr[0]!, /^tincan: there is no tincan profile for nobody/);
    const debug = capture();
    assert.equal(await dispatch(args, debug, fakeEnv({ TINCAN_DEBUG: "1" })), 1);
    assert.match(debug.stderr[1]!, /NoProfileError/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--verbose is taken out of any command's arguments (not after --)", async () => {
  assert.deepEqual(takeVerbose(["--user", "a", "--verbose", "x"]), {
    args: ["--user", "a", "x"],
    verbose: true,
  });
  assert.deepEqual(takeVerbose(["--", "--verbose"]), { args: ["--", "--verbose"], verbose: false });
  const io = capture();
  assert.equal(await dispatch(["version", "--verbose"], io, env), 0);
  assert.match(HELP, /--verbose/);
});

Deno.test("a UDP or portless --rendezvous is refused before anything runs", async () => {
  const io = capture();
  const code = await dispatch(
    ["send", "--user", "alice", "--rendezvous", "/ip4/127.0.0.1/udp/4001", "--to", "bob", "hi"],
    io,
    fakeEnv({ HOME: "/nonexistent" }),
  );
  assert.equal(code, 2);
  assert.match(io.stderr[0]!, /is not a rendezvous address: it needs a host, TCP and a port/);
});

Deno.test("a command's logging() sets the level of its run; TINCAN_DEBUG still means debug", async () => {
  const levels: LogLevel[] = [];
  const probe: Command<{ level: LogLevel }> = {
    name: "probe",
    summary: "",
    help: "Usage: tincan probe",
    logLevel: "error",
    parse: (args) => ({ help: false, level: args[0] as LogLevel }),
    logging: (args) => ({ level: args.level, format: "json" }),
    run: (_args, { logLevel }) => {
      levels.push(logLevel);
      return Promise.resolve(0);
    },
  };
  try {
    assert.equal(await runCommand(probe, ["warn"], capture(), env), 0);
    assert.equal(await runCommand(probe, ["info"], capture(), fakeEnv({ TINCAN_DEBUG: "1" })), 0);
  } finally {
    configureLogging("error", undefined, "text");
  }
  assert.deepEqual(levels, ["warn", "debug"]);
});
