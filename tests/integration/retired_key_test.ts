/**
 * A retired key against a real rendezvous: alice moves her account to a new key (her laptop was
 * stolen); the thief holding the old key tries to bind it to a throw-away account, to message
 * alice's contacts with the key they still have pinned as hers.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { Status } from "../../src/proto/services.ts";
import { RETIRED_KEY_COOLING_OFF_MS } from "../../src/rendezvous/retired_keys.ts";
import { clientNode, FAST, ManualClock, remoteError, stopAll, withRendezvous } from "./harness.ts";

Deno.test("retired key: the key alice moved away from cannot be bound to a new account for 30 days", async () => {
  const clock = new ManualClock();
  const { rendezvous, address } = await withRendezvous({ now: clock.now });
  const oldKey = await generateKeyPair("Ed25519");
  const stolen = await clientNode(oldKey); // the thief's copy of alice's laptop
  const laptop = await clientNode();
  const eve = await clientNode();
  try {
    await registerAccount(stolen, address, "alice", "pw-alice", FAST);
    await registerAccount(eve, address, "eve", "pw-eve", FAST);
    const moved = await login(laptop, address, "alice", "pw-alice", FAST);
    assert.equal(moved.keyChanged, true);

    // The thief registers a throw-away account on the old key ...
    const refused = await remoteError(
      registerAccount(stolen, address, "alice2", "pw", FAST),
      Status.E_KEY_RETIRED,
    );
    assert.match(refused.message, /retired from another account on .*cannot be bound/);
    // ... or moves an account it controls onto it.
    await remoteError(login(stolen, address, "eve", "pw-eve", FAST), Status.E_KEY_RETIRED);
    assert.equal(rendezvous.loggedIn.byUsername("eve"), undefined);

    // After the cooling-off period the key is an ordinary free key again.
    clock.advance(RETIRED_KEY_COOLING_OFF_MS);
    await registerAccount(stolen, address, "alice2", "pw", FAST);
  } finally {
    await stopAll(stolen, laptop, eve, rendezvous);
  }
});
