import assert from "node:assert/strict";
import { multiaddr } from "@multiformats/multiaddr";
import { carrierOf, relayRefusal } from "../../../src/peer/route/router.ts";
import { PROTOCOL } from "../../../src/protocol/ids.ts";

const RELAY = "12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK";

Deno.test("carrier: relay limits or a /p2p-circuit address make a connection relayed", () => {
  assert.equal(carrierOf({ remoteAddr: multiaddr("/ip6/3fff::20/tcp/5000") }), "direct");
  assert.equal(
    carrierOf({ remoteAddr: multiaddr(`/ip6/3fff::10/tcp/4001/p2p/${RELAY}/p2p-circuit`) }),
    "relayed",
  );
  assert.equal(
    carrierOf({ remoteAddr: multiaddr("/ip6/3fff::20/tcp/5000"), limits: { seconds: 60 } }),
    "relayed",
  );
});

Deno.test("files over a relay: file data waits for a direct connection, chat does not", () => {
  assert.equal(relayRefusal("relayed", true, "bob", PROTOCOL.chat), undefined);
  assert.equal(relayRefusal("direct", false, "bob", PROTOCOL.file), undefined);
  assert.equal(
    relayRefusal("relayed", false, "bob", PROTOCOL.file),
    `only a relayed connection reaches bob: ${PROTOCOL.file} waits for a direct one ` +
      "(the relay carries chat, not file data)",
  );
});
