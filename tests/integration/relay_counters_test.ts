/**
 * The rendezvous relay on loopback: a logged-in peer reserves a slot, another reaches it through
 * the relay, and the counters the operator dashboard reads see the reservation and the bytes.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createNode } from "../../src/net/node.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { FAST, stopAll, waitFor, withRendezvous } from "./harness.ts";

const ECHO = "/test/echo/1";

Deno.test("relay counters: reservations and relayed bytes, both ways", async () => {
  const { rendezvous, address } = await withRendezvous();
  const peer = async (name: string) => {
    const node = await createNode({
      privateKey: await generateKeyPair("Ed25519"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
      agent: "tincan-test",
      relayClient: true,
      withoutDcutr: true,
    });
    await registerAccount(node, address, name, `pw-${name}`, FAST);
    await login(node, address, name, `pw-${name}`, FAST);
    return node;
  };
  const bob = await peer("bob");
  const alice = await peer("alice");
  try {
    await bob.handle(ECHO, async (stream) => {
      for await (const chunk of stream) stream.send(chunk);
    }, { runOnLimitedConnection: true });
    await bob.services.controls.listen([address.encapsulate("/p2p-circuit")]);
    assert.equal(rendezvous.relay?.counters().reservations, 1);
    const circuit = bob.getMultiaddrs().find((a) => a.toString().includes("/p2p-circuit"))!;
    const stream = await alice.dialProtocol(circuit, ECHO, { runOnLimitedConnection: true });
    stream.send(new Uint8Array(10_000));
    let echoed = 0;
    for await (const chunk of stream) {
      echoed += chunk.byteLength;
      if (echoed >= 10_000) break;
    }
    await waitFor(
      "the relay to count both directions",
      () => (rendezvous.relay?.counters().relayedBytes ?? 0) >= 20_000,
    );
    const counters = rendezvous.relay!.counters();
    assert.equal(counters.relayedConnections, 1);
    assert.equal(counters.refusedReservations, 0);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});
