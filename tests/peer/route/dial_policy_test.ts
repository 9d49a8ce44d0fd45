import assert from "node:assert/strict";
import { multiaddr } from "@multiformats/multiaddr";
import { DIAL_TIMEOUT_MS } from "../../../src/net/dial.ts";
import {
  DIRECT_TIMEOUT_MS,
  planDial,
  RELAYED_TIMEOUT_MS,
} from "../../../src/peer/route/dial_policy.ts";

const PEER = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
const OTHER = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";
const RELAY = "12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK";

Deno.test("dial policy: direct first (1.5 s), then relayed (4 s); each address names the peer", () => {
  const steps = planDial([
    multiaddr(`/ip6/3fff::10/tcp/4001/p2p/${RELAY}/p2p-circuit`),
    multiaddr("/ip6/3fff::20/tcp/5000"),
    multiaddr("/ip4/203.0.113.7/tcp/5000"),
  ], PEER);
  assert.deepEqual(steps.map((s) => [s.kind, s.timeoutMs, s.addresses.map(String)]), [
    ["direct", DIRECT_TIMEOUT_MS, [
      `/ip6/3fff::20/tcp/5000/p2p/${PEER}`,
      `/ip4/203.0.113.7/tcp/5000/p2p/${PEER}`,
    ]],
    ["relayed", RELAYED_TIMEOUT_MS, [
      `/ip6/3fff::10/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`,
    ]],
  ]);
  assert.ok(DIRECT_TIMEOUT_MS < RELAYED_TIMEOUT_MS && RELAYED_TIMEOUT_MS < DIAL_TIMEOUT_MS);
});

Deno.test("dial policy: only the kinds that exist; loopback keeps the full timeout", () => {
  assert.deepEqual(planDial([], PEER), []);
  const relayedOnly = planDial(
    [multiaddr(`/ip6/3fff::10/tcp/4001/p2p/${RELAY}/p2p-circuit`)],
    PEER,
  );
  assert.deepEqual(relayedOnly.map((s) => s.kind), ["relayed"]);
  const local = planDial([multiaddr("/ip4/127.0.0.1/tcp/5000")], PEER);
  assert.deepEqual(local.map((s) => [s.kind, s.timeoutMs]), [["direct", DIAL_TIMEOUT_MS]]);
});

Deno.test("dial policy: another peer's address and link-local ones are left out", () => {
  const steps = planDial([
    multiaddr(`/ip6/3fff::30/tcp/5000/p2p/${OTHER}`),
    multiaddr("/ip6/fe80::1/tcp/5000"),
    multiaddr(`/ip6/3fff::20/tcp/5000/p2p/${PEER}`),
  ], PEER);
  assert.deepEqual(steps.map((s) => s.addresses.map(String)), [[
    `/ip6/3fff::20/tcp/5000/p2p/${PEER}`,
  ]]);
});
