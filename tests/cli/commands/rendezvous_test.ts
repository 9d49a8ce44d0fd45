/**
 * The `tincan rendezvous` command as the dispatcher sees it: its parse is parseRendezvousConfig
 * (tests/rendezvous/config_*test.ts cover every flag and key) behind the Command shape — a help
 * request, the --config file read through the reader it was made with, and the logging the
 * arguments ask for.
 */
import assert from "node:assert/strict";
import { rendezvousCommand } from "../../../src/cli/commands/rendezvous.ts";
import { UsageError } from "../../../src/errors.ts";
import { parseRendezvousConfig } from "../../../src/rendezvous/config.ts";
import { fakeEnv } from "../env.ts";

const env = fakeEnv();
const noFile = (path: string): string => {
  throw new Deno.errors.NotFound(`no such file ${path}`);
};
const command = rendezvousCommand(noFile);

Deno.test("rendezvous command: its arguments are the checked config", () => {
  for (const args of [[], ["--data", "/srv/lobby/", "--http"], ["--listen", "/ip6/::1/tcp/1"]]) {
    assert.deepEqual(command.parse(args, env), parseRendezvousConfig(args, noFile), args.join(" "));
  }
});

Deno.test("rendezvous command: a leading -- is dropped (deno task rendezvous -- --listen …)", () => {
  const args = ["--listen", "/ip6/::1/tcp/1"];
  assert.deepEqual(command.parse(["--", ...args], env), command.parse(args, env));
});

Deno.test("rendezvous command: --help is a help request, bad input a UsageError", () => {
  assert.deepEqual(command.parse(["--help"], env), { help: true });
  assert.deepEqual(command.parse(["-h"], env), { help: true });
  assert.throws(() => command.parse(["extra"], env), UsageError);
  assert.throws(() => command.parse(["--listen", "nowhere"], env), /not a valid multiaddr/);
});

Deno.test("rendezvous command: --config is read through the reader it was made with", () => {
  const read: string[] = [];
  const withFile = rendezvousCommand((path) => {
    read.push(path);
    return `name = "lobby"\nlog_level = "warn"`;
  });
  const args = withFile.parse(["--config", "/etc/tincan/rv.toml"], env);
  assert.deepEqual(read, ["/etc/tincan/rv.toml"]);
  assert.ok(!args.help);
  assert.equal(args.name, "lobby");
  assert.throws(() => command.parse(["--config", "gone.toml"], env), /cannot read --config/);
});

Deno.test("rendezvous command: its logging is the --log-level and --log-format asked for", () => {
  const args = command.parse(["--log-level", "debug", "--log-format", "json"], env);
  assert.ok(!args.help);
  assert.deepEqual(command.logging?.(args), { level: "debug", format: "json" });
  const plain = command.parse([], env);
  assert.ok(!plain.help);
  assert.deepEqual(command.logging?.(plain), { level: "info", format: "text" });
});
