import assert from "node:assert/strict";
import {
  duration,
  failureWhy,
  formatAttempts,
  formatRoute,
  relayOf,
  rendezvousName,
  transportOf,
} from "../../../src/peer/route/route_report.ts";

const RELAY = "12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK";
const BOB = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
const names = (id: string) => id === RELAY ? "home" : "?";

Deno.test("route report: direct, with the transport and the address", () => {
  const address = `/ip6/3fff::20/tcp/5000/p2p/${BOB}`;
  assert.deepEqual(
    formatRoute({
      user: "bob",
      carrier: "direct",
      address,
      attempts: [{ kind: "direct", ok: true, ms: 8.4, address }],
    }, names),
    [`bob: direct over TCP to ${address}`, "  direct: ok, 8 ms"],
  );
});

Deno.test("route report: relayed via the rendezvous, and why direct failed", () => {
  const address = `/ip6/3fff::10/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${BOB}`;
  assert.deepEqual(
    formatRoute({
      user: "bob",
      carrier: "relayed",
      address,
      attempts: [
        { kind: "direct", ok: false, ms: 1500, why: failureWhy(new Error("aborted"), true, 1500) },
        { kind: "relayed", ok: true, ms: 12, address },
      ],
    }, names),
    [
      `bob: relayed via home (${address})`,
      "  direct: dial timed out after 1.5 s; relayed via home: ok, 12 ms",
    ],
  );
});

Deno.test("route report: queued, offline or with every path failed; an open connection shows no attempts", () => {
  assert.deepEqual(
    formatRoute({ user: "bob", carrier: "queued", why: "bob is offline", attempts: [] }, names),
    ["bob: queued in bob's mailbox at the rendezvous (bob is offline)"],
  );
  const refused = failureWhy(new Error("connect ECONNREFUSED\nstack"), false, 3);
  assert.equal(refused, "failed after 3 ms: connect ECONNREFUSED");
  assert.equal(
    formatAttempts([
      { kind: "direct", ok: false, ms: 3, why: refused },
      { kind: "relayed", ok: false, ms: 4000, why: "dial timed out after 4 s" },
    ], names),
    "direct: failed after 3 ms: connect ECONNREFUSED; relayed: dial timed out after 4 s",
  );
});

Deno.test("route report helpers: transports, relays, rendezvous names, durations", () => {
  assert.equal(transportOf("/ip4/1.2.3.4/tcp/1"), "TCP");
  assert.equal(transportOf("/ip4/1.2.3.4/tcp/1/ws"), "WebSockets");
  assert.equal(transportOf("/ip4/1.2.3.4/udp/1/quic-v1"), "QUIC");
  assert.equal(relayOf(`/ip6/3fff::10/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${BOB}`), RELAY);
  assert.equal(relayOf(`/ip6/3fff::20/tcp/5000/p2p/${BOB}`), undefined);
  assert.equal(rendezvousName("tincan/0.1.0 rendezvous home"), "home");
  assert.equal(rendezvousName("tincan/0.1.0 peer"), undefined);
  assert.equal(rendezvousName(undefined), undefined);
  assert.equal(duration(12.4), "12 ms");
  assert.equal(duration(1500), "1.5 s");
  assert.equal(duration(2000), "2 s");
});
