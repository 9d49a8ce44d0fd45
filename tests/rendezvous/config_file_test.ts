/** The --config file (TOML or JSON): every key read, bad keys and values named with the file. */
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { parseRendezvousConfig } from "../../src/rendezvous/config.ts";
import { parseFederatedNode } from "../../src/rendezvous/federation/federated_node.ts";
import { noFile, withFile, WORK_ID } from "./config_harness.ts";

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
