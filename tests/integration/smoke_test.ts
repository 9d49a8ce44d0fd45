import assert from "node:assert/strict";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { clientNode, FAST, stopAll, withRendezvous } from "./harness.ts";

Deno.test("register and log in", async () => {
  const { rendezvous, address } = await withRendezvous();
  const node = await clientNode();
  try {
    const reg = await registerAccount(node, address, "Alice", "pw", FAST);
    assert.equal(reg.username, "alice");
    const res = await login(node, address, "alice", "pw", FAST);
    assert.equal(res.keyChanged, false);
    assert.equal(rendezvous.loggedIn.usernameOf(node.peerId.toString()), "alice");
  } finally {
    await stopAll(node, rendezvous);
  }
});
