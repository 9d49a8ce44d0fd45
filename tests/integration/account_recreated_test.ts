/**
 * An honest rendezvous' operator deletes bob's account; once the cooling-off has passed, someone
 * else registers the free name `bob`. Alice's pinned contact is not that account: she must be told
 * the account was re-created (not merely that the key changed), and see its messages as untrusted.
 */
import assert from "node:assert/strict";
import { registerAccount } from "../../src/peer/clients/account.ts";
import { Status } from "../../src/proto/services.ts";
import { clientNode, FAST, remoteError, stopAll, withRendezvous } from "./harness.ts";
import { converse, startPeer, type TestPeer } from "./peer_harness.ts";

/** The name of a deleted account stays reserved this long (short for the test). */
const COOLING_OFF_MS = 1500;

Deno.test("account re-created after the cooling-off: alice is told, and the new account's messages are untrusted", async () => {
  const { rendezvous, address } = await withRendezvous({ coolingOffMs: COOLING_OFF_MS });
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  const early = await clientNode();
  let newcomer: TestPeer | undefined;
  try {
    await converse(alice, bob);
    await bob.stop();
    rendezvous.admin.apply("delete", "bob", "test");
    const deletedAt = Date.now();
    // Within the cooling-off the name is still reserved.
    await remoteError(
      registerAccount(early, address, "bob", "pw-early", FAST),
      Status.E_USERNAME_TAKEN,
    );
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, deletedAt + COOLING_OFF_MS + 200 - Date.now()))
    );
    newcomer = await startPeer(address, "bob");

    await alice.peer.send("bob", "for the bob I knew");
    const changed = await alice.next("key-changed", (k) => k.username === "bob");
    assert.match(changed.detail ?? "", /^bob's account was re-created at the rendezvous on \d{4}-/);
    const whois = await alice.peer.whois("bob");
    assert.equal(whois.problem?.kind, "recreated");
    assert.equal(whois.keyLogVerified, false);

    const hello = await newcomer.peer.send("alice", "hi, I am bob");
    const got = await alice.next("message", (m) => m.id === hello);
    assert.equal(got.trusted, false);
  } finally {
    await stopAll(early, alice, bob, newcomer, rendezvous);
  }
});
