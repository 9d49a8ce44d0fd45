import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  DEFAULT_DATA_DIR,
  DEFAULT_HTTP,
  DEFAULT_LISTEN,
  parseHttpAddress,
  parseRendezvousConfig,
  type RendezvousConfig,
} from "../../src/rendezvous/config.ts";
import { DEFAULT_COOLING_OFF_MS } from "../../src/rendezvous/admin/policy.ts";
import { DEFAULT_RELAY_LIMITS, LIBP2P_RELAY_DEFAULTS } from "../../src/rendezvous/relay.ts";
import { parseFederatedNode } from "../../src/rendezvous/federation/federated_node.ts";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";

const WORK_ID = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
const LAB_ID = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();

const noFile = (path: string): string => {
  throw new Deno.errors.NotFound(`no such file ${path}`);
};
const parseRendezvousArgs = (args: readonly string[]) => parseRendezvousConfig(args, noFile);

/** Parses `args` with `text` as the contents of every --config file. */
function withFile(text: string, args: readonly string[] = []): RendezvousConfig {
  return parseRendezvousConfig(["--config", "rv.toml", ...args], () => text);
}

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

Deno.test("rendezvous args: --http alone listens on loopback; with an address, there", () => {
  assert.deepEqual(parseRendezvousArgs(["--http"]).http, { hostname: "127.0.0.1", port: 8080 });
  assert.deepEqual(
    parseRendezvousArgs(["--http", "--name", "x"]).http,
    parseHttpAddress(DEFAULT_HTTP),
  );
  assert.deepEqual(parseRendezvousArgs(["--http", "0.0.0.0:9000"]).http, {
    hostname: "0.0.0.0",
    port: 9000,
  });
  assert.deepEqual(parseRendezvousArgs(["--http=[::1]:8081"]).http, {
    hostname: "::1",
    port: 8081,
  });
  assert.throws(() => parseRendezvousArgs(["--http", "8080"]), /--http "8080" must be HOST:PORT/);
  assert.throws(() => parseRendezvousArgs(["--http", "h:70000"]), UsageError);
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

Deno.test("config file: every key is read from TOML", () => {
  const config = withFile(`
# the operator's rendezvous
listen = ["/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"]
data = "/var/lib/tincan"
name = "lobby"
http = "127.0.0.1:9090"
http_cert = "/etc/tincan/cert.pem"
http_key = "/etc/tincan/key.pem"
log_level = "warn"
log_format = "json"
cooling_off_days = 14
announce = ["/ip6/2001:db8::1/tcp/4001"]
relay_max_reservations = 100
relay_reservations_per_user = 2
relay_duration = 3600
relay_data = "1MiB"
relay_bandwidth = "512KiB"
federate = ["work=/ip4/192.0.2.1/tcp/4001/p2p/${WORK_ID}"]
no_federated_list = true
`);
  assert.deepEqual(config, {
    help: false,
    listen: ["/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"],
    dataDir: "/var/lib/tincan",
    name: "lobby",
    http: {
      hostname: "127.0.0.1",
      port: 9090,
      certFile: "/etc/tincan/cert.pem",
      keyFile: "/etc/tincan/key.pem",
    },
    logLevel: "warn",
    logFormat: "json",
    coolingOffMs: 14 * 24 * 60 * 60 * 1000,
    announce: ["/ip6/2001:db8::1/tcp/4001"],
    relay: {
      maxReservations: 100,
      reservationsPerUser: 2,
      connectionDurationMs: 3_600_000,
      connectionDataBytes: 1 << 20,
      bandwidthBytesPerSecond: 512 * 1024,
    },
    federate: [parseFederatedNode(`work=/ip4/192.0.2.1/tcp/4001/p2p/${WORK_ID}`)],
    federatedList: false,
  });
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

Deno.test("config file: JSON when the name ends in .json; http = true is the default address", () => {
  const config = parseRendezvousConfig(
    ["--config", "rv.json"],
    () => JSON.stringify({ name: "j", http: true, listen: "/ip4/127.0.0.1/tcp/4001" }),
  );
  assert.equal(config.name, "j");
  assert.deepEqual(config.http, { hostname: "127.0.0.1", port: 8080 });
  assert.deepEqual(config.listen, ["/ip4/127.0.0.1/tcp/4001"]);
  assert.equal(withFile("http = false").http, undefined);
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

Deno.test("config file: an unknown key is an error that lists the keys", () => {
  assert.throws(() => withFile(`lissten = ["/ip4/127.0.0.1/tcp/1"]`), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /rv\.toml: unknown key "lissten"; the keys are listen, data, name/);
    return true;
  });
  assert.throws(() => withFile(`log-level = "info"`), /unknown key "log-level"/);
});

Deno.test("config file: bad values name the key and the file", () => {
  assert.throws(
    () => withFile(`log_level = "loud"`),
    /--log-level \(or log_level in rv\.toml\) must be one of/,
  );
  assert.throws(() => withFile(`listen = 4001`), /rv\.toml: listen must be a string or a list/);
  assert.throws(() => withFile(`name = 7`), /rv\.toml: name must be a string/);
  assert.throws(() => withFile(`http = 8080`), /http must be a string \(HOST:PORT\) or true/);
  assert.throws(() => withFile(`http_cert = "c.pem"`), /go together/);
  assert.throws(() => withFile(`http_cert = "c.pem"\nhttp_key = "k.pem"`), /needs --http/);
  assert.throws(() => withFile(`name = `), /rv\.toml is not valid TOML/);
  assert.throws(() => withFile(`[listen]\nx = 1`), /listen must be a string or a list/);
  assert.throws(
    () => parseRendezvousConfig(["--config", "missing.toml"], noFile),
    /cannot read --config missing\.toml/,
  );
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

Deno.test("config file: no_relay, announce as one string; flags override the relay limits", () => {
  assert.equal(withFile("no_relay = true").relay, false);
  assert.deepEqual(withFile("no_relay = false").relay, {});
  assert.deepEqual(withFile(`announce = "/ip4/203.0.113.7/tcp/4001"`).announce, [
    "/ip4/203.0.113.7/tcp/4001",
  ]);
  assert.deepEqual(
    withFile(`relay_duration = 60`, ["--relay-duration", "120"]).relay,
    { connectionDurationMs: 120_000 },
  );
});

Deno.test("config file: bad relay values name the key and the file", () => {
  assert.throws(() => withFile(`no_relay = "yes"`), /rv\.toml: no_relay must be true or false/);
  assert.throws(
    () => withFile(`relay_duration = 0`),
    /--relay-duration \(or relay_duration in rv\.toml\) must be a whole number/,
  );
  assert.throws(() => withFile(`relay_data = "lots"`), /relay_data in rv\.toml/);
  assert.throws(() => withFile(`announce = ["nope"]`), /announce in rv\.toml/);
  assert.throws(
    () => withFile(`no_relay = true\nrelay_data = "1MiB"`),
    /relay limits make no sense with --no-relay/,
  );
});

Deno.test("relay defaults: a relayed chat lasts for hours, far beyond the library's 2 min / 128 KiB", () => {
  assert.ok(
    DEFAULT_RELAY_LIMITS.connectionDurationMs >= 60 * LIBP2P_RELAY_DEFAULTS.connectionDurationMs,
  );
  assert.ok(DEFAULT_RELAY_LIMITS.connectionDataBytes >= 64 * LIBP2P_RELAY_DEFAULTS.dataBytes);
});
