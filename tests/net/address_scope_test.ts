import assert from "node:assert/strict";
import { multiaddr } from "@multiformats/multiaddr";
import { announceable, isRelayed, scopeOf } from "../../src/net/address_scope.ts";

const ma = multiaddr;

Deno.test("address scope: loopback, private (RFC 1918, CGNAT, ULA), public, link-local", () => {
  assert.equal(scopeOf(ma("/ip4/127.0.0.1/tcp/1")), "loopback");
  assert.equal(scopeOf(ma("/ip6/::1/tcp/1")), "loopback");
  for (const ip of ["10.1.2.3", "172.16.0.1", "172.31.255.1", "192.168.1.1", "100.64.0.1"]) {
    assert.equal(scopeOf(ma(`/ip4/${ip}/tcp/1`)), "private", ip);
  }
  assert.equal(scopeOf(ma("/ip6/fd21::2/tcp/1")), "private");
  assert.equal(scopeOf(ma("/ip4/172.32.0.1/tcp/1")), "public");
  assert.equal(scopeOf(ma("/ip4/203.0.113.7/tcp/1")), "public");
  assert.equal(scopeOf(ma("/ip6/3fff:7:7:7::20/tcp/1")), "public");
  assert.equal(scopeOf(ma("/dns4/example.org/tcp/1")), "public");
  assert.equal(scopeOf(ma("/ip6/fe80::1/tcp/1")), undefined);
  assert.equal(scopeOf(ma("/ip4/169.254.1.1/tcp/1")), undefined);
  const relayed = ma(
    "/ip6/3fff::10/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit",
  );
  assert.ok(isRelayed(relayed));
  assert.ok(!isRelayed(ma("/ip6/3fff::10/tcp/4001")));
  assert.equal(scopeOf(relayed), "public"); // the relay's address decides
});

Deno.test("announceable: never loopback but to loopback, private only to a private audience", () => {
  const ours = [
    ma("/ip4/127.0.0.1/tcp/5"),
    ma("/ip6/::1/tcp/6"),
    ma("/ip6/fd21::2/tcp/6"),
    ma("/ip4/192.168.1.9/tcp/5"),
    ma("/ip6/3fff:7:7:7::20/tcp/6"),
    ma("/ip6/fe80::1/tcp/6"),
    ma(
      "/ip6/3fff:7:7:7::10/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit",
    ),
    ma("/ip6/3fff:7:7:7::20/tcp/6"),
  ];
  const strings = (audience: string) => announceable(ours, audience).map(String);
  assert.deepEqual(strings("/ip6/3fff:7:7:7::10/tcp/4001"), [
    "/ip6/3fff:7:7:7::20/tcp/6",
    "/ip6/3fff:7:7:7::10/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit",
  ]);
  assert.deepEqual(strings("/ip4/192.168.1.1/tcp/4001"), [
    "/ip6/fd21::2/tcp/6",
    "/ip4/192.168.1.9/tcp/5",
    "/ip6/3fff:7:7:7::20/tcp/6",
    "/ip6/3fff:7:7:7::10/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit",
  ]);
  assert.equal(strings("/ip4/127.0.0.1/tcp/4001").length, 6);
});
