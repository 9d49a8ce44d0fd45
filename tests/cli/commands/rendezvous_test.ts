import assert from "node:assert/strict";
import {
  DEFAULT_DATA_DIR,
  DEFAULT_LISTEN,
  parseRendezvousArgs,
} from "../../../src/cli/commands/rendezvous.ts";
import { UsageError } from "../../../src/errors.ts";
import { DEFAULT_RELAY_LIMITS, LIBP2P_RELAY_DEFAULTS } from "../../../src/rendezvous/relay.ts";

Deno.test("rendezvous args: defaults", () => {
  const args = parseRendezvousArgs([]);
  assert.deepEqual(args, {
    help: false,
    listen: [DEFAULT_LISTEN],
    dataDir: DEFAULT_DATA_DIR,
    name: "tincan-rendezvous",
    announce: [],
    relay: {},
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

Deno.test("rendezvous args: --announce (repeatable) and the relay limits", () => {
  const args = parseRendezvousArgs([
    "--announce",
    "/ip6/2001:db8::1/tcp/4001",
    "--announce",
    "/ip4/203.0.113.7/tcp/4001",
    "--relay-max-reservations",
    "100",
    "--relay-reservations-per-user",
    "2",
    "--relay-duration",
    "3600",
    "--relay-data",
    "1MiB",
    "--relay-bandwidth",
    "512KiB",
  ]);
  assert.ok(!args.help);
  assert.deepEqual(args.announce, ["/ip6/2001:db8::1/tcp/4001", "/ip4/203.0.113.7/tcp/4001"]);
  assert.deepEqual(args.relay, {
    maxReservations: 100,
    reservationsPerUser: 2,
    connectionDurationMs: 3_600_000,
    connectionDataBytes: 1 << 20,
    bandwidthBytesPerSecond: 512 * 1024,
  });
});

Deno.test("rendezvous args: --no-relay, and limits refused with it", () => {
  const args = parseRendezvousArgs(["--no-relay"]);
  assert.ok(!args.help);
  assert.equal(args.relay, false);
  assert.throws(() => parseRendezvousArgs(["--no-relay", "--relay-data", "1MiB"]), UsageError);
  assert.throws(() => parseRendezvousArgs(["--announce", "nope"]), /--announce/);
  assert.throws(() => parseRendezvousArgs(["--relay-duration", "0"]), UsageError);
  assert.throws(() => parseRendezvousArgs(["--relay-data", "lots"]), /--relay-data/);
});

Deno.test("relay defaults: a relayed chat lasts for hours, far beyond the library's 2 min / 128 KiB", () => {
  assert.ok(
    DEFAULT_RELAY_LIMITS.connectionDurationMs >= 60 * LIBP2P_RELAY_DEFAULTS.connectionDurationMs,
  );
  assert.ok(DEFAULT_RELAY_LIMITS.connectionDataBytes >= 64 * LIBP2P_RELAY_DEFAULTS.dataBytes);
});
