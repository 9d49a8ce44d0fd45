/**
 * Peers across federated rendezvous nodes: alice@home and bob@work chat directly and by mail,
 * with receipts back across, in rooms, and across a key change; `/servers` and `/list work`.
 */
import assert from "node:assert/strict";
import type { Rendezvous } from "../../src/rendezvous/server.ts";
import { federatedOptions, type NodePlan, planNode } from "./federation_helpers.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";

/** `home` and `work`, listing each other. */
async function twoNodes(): Promise<
  { home: NodePlan; work: NodePlan; homeNode: Rendezvous; workNode: Rendezvous }
> {
  const home = await planNode("home");
  const work = await planNode("work");
  const homeNode = (await withRendezvous(federatedOptions(home, [work]))).rendezvous;
  const workNode = (await withRendezvous(federatedOptions(work, [home]))).rendezvous;
  return { home, work, homeNode, workNode };
}

Deno.test("federation peers: alice@home and bob@work chat directly, names qualified on each side", async () => {
  const { home, work, homeNode, workNode } = await twoNodes();
  const alice = await startPeer(home.address, "alice");
  const bob = await startPeer(work.address, "bob");
  try {
    assert.equal(alice.peer.home, "home");
    assert.equal(bob.peer.home, "work");
    const id = await alice.peer.send("Bob@Work", "hello from home");
    const got = await bob.next("message", (m) => m.id === id);
    assert.equal(got.from, "alice@home");
    assert.equal(got.text, "hello from home");
    assert.equal(got.via, "direct");
    await alice.next("delivered", (d) => d.id === id);
    const reply = await bob.peer.send("alice@home", "hi from work");
    const back = await alice.next("message", (m) => m.id === reply);
    assert.equal(back.from, "bob@work");
    await bob.next("delivered", (d) => d.id === reply);
    assert.deepEqual((await alice.peer.history("bob@work", 10)).map((h) => h.text), [
      "hello from home",
      "hi from work",
    ]);
    assert.equal(
      await alice.peer.safetyNumber("bob@work"),
      await bob.peer.safetyNumber("alice@home"),
    );
    // `alice@home` typed at home is just alice.
    assert.equal(alice.peer.nameOf("alice@HOME"), "alice");
  } finally {
    await stopAll(alice, bob, homeNode, workNode);
  }
});
