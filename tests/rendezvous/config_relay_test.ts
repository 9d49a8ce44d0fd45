/** The relay options: limits, --no-relay, and defaults far beyond the library's. */
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { DEFAULT_RELAY_LIMITS, LIBP2P_RELAY_DEFAULTS } from "../../src/rendezvous/relay.ts";
import { parseRendezvousArgs } from "./config_harness.ts";

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
