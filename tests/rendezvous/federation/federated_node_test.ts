import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import assert from "node:assert/strict";
import {
  checkFederatedNodes,
  parseFederatedNode,
} from "../../../src/rendezvous/federation/federated_node.ts";
import { authorizeCaller } from "../../../src/rendezvous/federation/authorize.ts";

const WORK = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
const LAB = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();

Deno.test("a federated node is NAME=MULTIADDR/p2p/PEERID, its name case-folded", () => {
  const node = parseFederatedNode(`Work=/ip4/192.0.2.1/tcp/4001/p2p/${WORK}`);
  assert.equal(node.name, "work");
  assert.equal(node.peerId.toString(), WORK);
  assert.equal(node.address.toString(), `/ip4/192.0.2.1/tcp/4001/p2p/${WORK}`);
});

Deno.test("a federated node needs a name, an address and an Ed25519 PeerId", async () => {
  const rsa = peerIdFromPrivateKey(await generateKeyPair("secp256k1")).toString();
  for (
    const [entry, message] of [
      ["work", /must be NAME=MULTIADDR/],
      [`=/ip4/192.0.2.1/tcp/1/p2p/${WORK}`, /Invalid server name/],
      ["work=/ip4/192.0.2.1/tcp/1", /must end in \/p2p\//],
      [`work=/ip4/192.0.2.1/tcp/1/p2p/${rsa}`, /not an Ed25519 PeerId/],
    ] as const
  ) {
    assert.throws(() => parseFederatedNode(entry), (err: unknown) => {
      assert.ok(err instanceof RangeError, `${entry}: ${err}`);
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("a federated list names each node and each PeerId once, and not this node", () => {
  const work = parseFederatedNode(`work=/ip4/192.0.2.1/tcp/1/p2p/${WORK}`);
  const lab = parseFederatedNode(`lab=/ip4/192.0.2.2/tcp/1/p2p/${LAB}`);
  checkFederatedNodes([work, lab], "home");
  assert.throws(() => checkFederatedNodes([work, work], "home"), /listed twice/);
  assert.throws(
    () => checkFederatedNodes([work, { ...lab, peerId: work.peerId }], "home"),
    /two federated nodes/,
  );
  assert.throws(() => checkFederatedNodes([work], "WORK"), /own name/);
});

Deno.test("authorizeCaller: the listed name with its PeerId only", () => {
  const work = parseFederatedNode(`work=/ip4/192.0.2.1/tcp/1/p2p/${WORK}`);
  const listed = (name: string) => name === "work" ? work : undefined;
  assert.deepEqual(authorizeCaller(listed, "Work", WORK), { node: work });
  assert.match(
    (authorizeCaller(listed, "work", LAB) as { refused: string }).refused,
    /listed here with PeerId/,
  );
  assert.match(
    (authorizeCaller(listed, "lab", LAB) as { refused: string }).refused,
    /does not federate with "lab"/,
  );
});
