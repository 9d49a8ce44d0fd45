/** parseRendezvousConfig: flags, their defaults and checks, federation entries, flags over the file. */
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { DEFAULT_DATA_DIR, DEFAULT_LISTEN } from "../../src/rendezvous/config_options.ts";
import { DEFAULT_COOLING_OFF_MS } from "../../src/rendezvous/admin/policy.ts";
import { LAB_ID, parseRendezvousArgs, withFile, WORK_ID } from "./config_harness.ts";

Deno.test("rendezvous args: defaults", () => {
  const args = parseRendezvousArgs([]);
  assert.deepEqual(args, {
    help: false,
    listen: [DEFAULT_LISTEN],
    dataDir: DEFAULT_DATA_DIR,
    name: "tincan-rendezvous",
    http: undefined,
    logLevel: "info",
    logFormat: "text",
    coolingOffMs: DEFAULT_COOLING_OFF_MS,
    announce: [],
    relay: {},
    federate: [],
    federatedList: true,
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
  assert.deepEqual(args.listen, ["/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/4001"]);
  assert.equal(args.dataDir, "/var/lib/tincan");
  assert.equal(args.name, "home");
});

Deno.test("rendezvous args: the name defaults to the data directory's name", () => {
  assert.equal(parseRendezvousArgs(["--data", "/srv/lobby/"]).name, "lobby");
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

Deno.test("rendezvous args: --log-level, --log-format, --cooling-off-days", () => {
  const args = parseRendezvousArgs([
    "--log-level",
    "debug",
    "--log-format",
    "json",
    "--cooling-off-days",
    "7",
  ]);
  assert.equal(args.logLevel, "debug");
  assert.equal(args.logFormat, "json");
  assert.equal(args.coolingOffMs, 7 * 24 * 60 * 60 * 1000);
  assert.throws(
    () => parseRendezvousArgs(["--log-level", "loud"]),
    /--log-level must be one of debug, info, warn, error \(got "loud"\)/,
  );
  assert.throws(() => parseRendezvousArgs(["--log-format", "xml"]), /text, json/);
  assert.throws(() => parseRendezvousArgs(["--cooling-off-days", "soon"]), /number of days/);
  assert.throws(() => parseRendezvousArgs(["--cooling-off-days=-1"]), /number of days/);
});

Deno.test("federation: --federate repeats, and the file's federate list reads the same", () => {
  const entries = [
    `work=/ip4/192.0.2.1/tcp/4001/p2p/${WORK_ID}`,
    `Lab=/dns4/lab.example/tcp/4001/p2p/${LAB_ID}`,
  ];
  const flags = parseRendezvousArgs([
    "--name",
    "home",
    ...entries.flatMap((e) => ["--federate", e]),
  ]);
  const file = withFile(`name = "home"\nfederate = ${JSON.stringify(entries)}`);
  assert.deepEqual(flags.federate.map((n) => n.name), ["work", "lab"]);
  assert.deepEqual(flags.federate.map((n) => n.peerId.toString()), [WORK_ID, LAB_ID]);
  assert.equal(flags.federate[1]!.address.toString(), `/dns4/lab.example/tcp/4001/p2p/${LAB_ID}`);
  assert.deepEqual(file.federate, flags.federate);
  assert.equal(flags.federatedList, true);
  assert.equal(parseRendezvousArgs(["--no-federated-list"]).federatedList, false);
  // flags replace the file's list, as for every repeatable option
  const both = withFile(`federate = ${JSON.stringify(entries)}`, ["--federate", entries[0]!]);
  assert.deepEqual(both.federate.map((n) => n.name), ["work"]);
});

Deno.test("federation: a bad --federate entry is a usage error that says what is wrong", () => {
  const bad: [string[], RegExp][] = [
    [["--federate", "work"], /--federate: "work" must be NAME=MULTIADDR\/p2p\/PEERID/],
    [["--federate", "work=/ip4/192.0.2.1/tcp/4001"], /work: the address must end in \/p2p\//],
    [["--federate", "work=not-an-address"], /work: "not-an-address" is not a valid multiaddr/],
    [["--federate", "wo rk=/ip4/192.0.2.1/tcp/1/p2p/" + WORK_ID], /Invalid server name/],
    [["--federate", "work=/ip4/192.0.2.1/tcp/1/p2p/QmNotAPeer"], /is not a PeerId/],
    [
      [
        "--federate",
        `work=/ip4/192.0.2.1/tcp/1/p2p/${WORK_ID}`,
        "--federate",
        `WORK=/ip4/192.0.2.2/tcp/1/p2p/${LAB_ID}`,
      ],
      /work is listed twice/,
    ],
    [
      [
        "--federate",
        `work=/ip4/192.0.2.1/tcp/1/p2p/${WORK_ID}`,
        "--federate",
        `lab=/ip4/192.0.2.2/tcp/1/p2p/${WORK_ID}`,
      ],
      /listed for two federated nodes/,
    ],
    [["--name", "home", "--federate", `Home=/ip4/192.0.2.1/tcp/1/p2p/${WORK_ID}`], /own name/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => parseRendezvousArgs(args), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${args.join(" ")}: ${err}`);
      assert.match(err.message, message);
      return true;
    });
  }
  assert.throws(() => withFile(`federate = "work"`), /federate \(or federate in rv.toml\)/);
  assert.throws(() => withFile(`federate = [1]`), /federate must be a string or a list of strings/);
});

Deno.test("config file: flags override the file", () => {
  const config = withFile(
    `name = "file"\nlog_level = "warn"\nlisten = ["/ip4/127.0.0.1/tcp/1"]`,
    ["--name", "flag", "--listen", "/ip4/127.0.0.1/tcp/2"],
  );
  assert.equal(config.name, "flag");
  assert.equal(config.logLevel, "warn");
  assert.deepEqual(config.listen, ["/ip4/127.0.0.1/tcp/2"]);
});
