/**
 * A second login replaces the first, against a real rendezvous: the same PeerId logging in again
 * from another connection (a second process on the same profile), and the same user from another
 * key. The newer login wins; the older is told on its presence stream (E_REPLACED) and closed.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { FramedStream } from "../../src/net/framed.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { MailboxClient } from "../../src/peer/clients/mailbox.ts";
import { presenceRequest } from "../../src/peer/clients/presence.ts";
import { PresenceEvent, PresenceRequest, Status } from "../../src/proto/services.ts";
import { FRAMES } from "../../src/protocol/limits.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import { clientNode, FAST, stopAll, waitFor, within, withRendezvous } from "./harness.ts";

/** A raw presence subscription: its OK first event read; `last()` reads until the end. */
async function presence(node: TincanNode, address: Multiaddr) {
  const stream = await node.dialProtocol(address, PROTOCOL.presence);
  const framed = new FramedStream(stream, PresenceEvent, PresenceRequest, FRAMES.presenceEvent);
  await framed.write(presenceRequest({ type: PresenceRequest.Type.FOLLOW }));
  assert.equal((await framed.read()).status, Status.OK);
  return {
    /** The last event before the stream ended. */
    async last(): Promise<PresenceEvent | undefined> {
      let last: PresenceEvent | undefined;
      try {
        for (let e = await framed.readOrEnd(); e !== undefined; e = await framed.readOrEnd()) {
          last = e;
        }
      } catch {
        // reset with the connection: what was read is what counts
      }
      return last;
    },
  };
}

Deno.test("replaced login: a second login with the same PeerId replaces the first, which is told", async () => {
  const { rendezvous, address } = await withRendezvous();
  const key = await generateKeyPair("Ed25519");
  const first = await clientNode(key); // two processes with one identity key
  const second = await clientNode(key);
  try {
    await registerAccount(first, address, "alice", "pw", FAST);
    await login(first, address, "alice", "pw", FAST);
    const feed = await presence(first, address);
    const ended = feed.last();

    await login(second, address, "alice", "pw", FAST);
    const told = await within("the older login to be told", ended);
    assert.equal(told?.status, Status.E_REPLACED);
    assert.match(told?.statusText ?? "", /alice logged in again with this identity key/);
    const serverPeer = rendezvous.node.peerId;
    await waitFor(
      "the older connection to close",
      () => first.getConnections(serverPeer).length === 0,
    );

    // The newer login is the one logged in, and works.
    assert.equal(rendezvous.loggedIn.usernameOf(second.peerId.toString()), "alice");
    const mail = await MailboxClient.open(second, address);
    assert.deepEqual((await mail.fetch()).mail, []);
    await mail.close();
  } finally {
    await stopAll(first, second, rendezvous);
  }
});

Deno.test("replaced login: a login from another key tells the old device before closing it", async () => {
  const { rendezvous, address } = await withRendezvous();
  const oldDevice = await clientNode();
  const newDevice = await clientNode();
  try {
    await registerAccount(oldDevice, address, "alice", "pw", FAST);
    await login(oldDevice, address, "alice", "pw", FAST);
    const feed = await presence(oldDevice, address);
    const ended = feed.last();
    await login(newDevice, address, "alice", "pw", FAST);
    const told = await within("the older login to be told", ended);
    assert.equal(told?.status, Status.E_REPLACED);
    assert.match(told?.statusText ?? "", /from another identity key/);
    assert.equal(rendezvous.loggedIn.usernameOf(newDevice.peerId.toString()), "alice");
    assert.equal(rendezvous.loggedIn.usernameOf(oldDevice.peerId.toString()), undefined);
  } finally {
    await stopAll(oldDevice, newDevice, rendezvous);
  }
});
