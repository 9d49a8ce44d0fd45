import assert from "node:assert/strict";
import {
  DEFAULT_DATA_DIR,
  DEFAULT_LISTEN,
  parseRendezvousArgs,
} from "../../../src/cli/commands/rendezvous.ts";
import { UsageError } from "../../../src/errors.ts";

Deno.test("rendezvous args: defaults", () => {
  const args = parseRendezvousArgs([]);
  assert.deepEqual(args, {
    help: false,
    listen: [DEFAULT_LISTEN],
    dataDir: DEFAULT_DATA_DIR,
    name: "tincan-rendezvous",
  });
});

Deno.test("rendezvous args: repeated --listen, --data and --name", () => {
  const args = parseRendezvousArgs([
    "--listen",
    "/ip4/127.0.0.1/tcp/4001",
    "--listen",
    "/ip6/::1/tcp/4001",
    "--data",
    "/var/lib/tincan",
    "--name",
    "home",
  ]);
  assert.ok(!args.help);
  assert.deepEqual(args.listen, ["/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/4001"]);
  assert.equal(args.dataDir, "/var/lib/tincan");
  assert.equal(args.name, "home");
});

Deno.test("rendezvous args: the name defaults to the data directory's name", () => {
  const args = parseRendezvousArgs(["--data", "/srv/lobby/"]);
  assert.ok(!args.help);
  assert.equal(args.name, "lobby");
});

Deno.test("rendezvous args: --help", () => {
  assert.equal(parseRendezvousArgs(["--help"]).help, true);
  assert.equal(parseRendezvousArgs(["-h"]).help, true);
});

Deno.test("rendezvous args: bad input is a UsageError that says what is wrong", () => {
  assert.throws(() => parseRendezvousArgs(["--listen", "not-an-address"]), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /not-an-address.*not a valid multiaddr/);
    return true;
  });
  assert.throws(() => parseRendezvousArgs(["--bogus"]), UsageError);
  assert.throws(() => parseRendezvousArgs(["--data"]), UsageError);
  assert.throws(() => parseRendezvousArgs(["extra"]), UsageError);
  assert.throws(() => parseRendezvousArgs(["--name", "a b"]), /--name "a b" must be/);
  assert.throws(() => parseRendezvousArgs(["--data", ""]), UsageError);
});
