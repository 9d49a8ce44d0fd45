import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import {
  DEFAULT_RELAY_LIMITS,
  LIBP2P_RELAY_DEFAULTS,
  RendezvousRelay,
} from "../../src/rendezvous/relay.ts";

const peer = async () => peerIdFromPrivateKey(await generateKeyPair("Ed25519"));

Deno.test("relay: a reservation or a relayed connection needs a logged-in peer; refusals are counted", async () => {
  const loggedIn = new LoggedInUsers();
  const relay = new RendezvousRelay(loggedIn);
  const gater = relay.gater();
  const mallory = await peer();
  const alice = await peer();
  const bob = await peer();
  loggedIn.login("alice", alice.toString(), 0);
  assert.equal(await gater.denyInboundRelayReservation!(mallory), true);
  assert.equal(await gater.denyInboundRelayReservation!(alice), false);
  assert.equal(await gater.denyOutboundRelayedConnection!(mallory, alice), true);
  assert.equal(await gater.denyOutboundRelayedConnection!(alice, bob), false);
  assert.deepEqual(relay.counters(), {
    reservations: 0,
    refusedReservations: 1,
    relayedConnections: 1,
    refusedConnections: 1,
    relayedBytes: 0,
  });
});

Deno.test("relay: the operator's limits override tincan's defaults, which exceed the library's", () => {
  const relay = new RendezvousRelay(new LoggedInUsers(), { connectionDurationMs: 3000 });
  assert.equal(relay.limits.connectionDurationMs, 3000);
  assert.equal(relay.limits.connectionDataBytes, DEFAULT_RELAY_LIMITS.connectionDataBytes);
  assert.ok(DEFAULT_RELAY_LIMITS.connectionDurationMs > LIBP2P_RELAY_DEFAULTS.connectionDurationMs);
  assert.ok(DEFAULT_RELAY_LIMITS.connectionDataBytes > LIBP2P_RELAY_DEFAULTS.dataBytes);
});
