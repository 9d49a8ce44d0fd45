/**
 * A stolen device: alice moves her account to a new key, and the thief, who has her old
 * profile (its identity key and its ratchet session with bob), writes to bob as "alice" over a
 * direct chat link. The rendezvous no longer certifies that key for alice, so bob must refuse
 * it — although it is the key he pinned for alice — and never again accept it as alice.
 */
import assert from "node:assert/strict";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { newMessageId, sealEnvelope } from "../../src/crypto/envelope.ts";
import { signerFromPrivateKey } from "../../src/crypto/primitives.ts";
import { logger } from "../../src/log.ts";
import { createNode } from "../../src/net/node.ts";
import { ChatLinks } from "../../src/peer/messaging/chat_links.ts";
import { SessionManager } from "../../src/peer/messaging/session_manager.ts";
import { PrekeyManager } from "../../src/peer/prekey_manager.ts";
import { openProfile } from "../../src/peer/profile.ts";
import { OwnKemKeyStore } from "../../src/peer/store/own_kem_keys.ts";
import { OwnKeyStore } from "../../src/peer/store/own_keys.ts";
import { RatchetSessionStore } from "../../src/peer/store/ratchet_sessions.ts";
import { type Ack, Content } from "../../src/proto/chat.ts";
import { stopAll, waitFor, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

Deno.test("a key retired from alice's account (a stolen laptop) is refused as alice, though it is the pinned key", async () => {
  const { rendezvous, address } = await withRendezvous();
  const oldDir = await Deno.makeTempDir({ prefix: "tincan-alice-old-" });
  const alice = await startPeer(address, "alice", { profileDir: oldDir });
  const bob = await startPeer(address, "bob");
  let newAlice: TestPeer | undefined;
  let thief: Awaited<ReturnType<typeof createNode>> | undefined;
  let stolen: Awaited<ReturnType<typeof openProfile>> | undefined;
  try {
    const id = await alice.peer.send("bob", "hi bob");
    await bob.next("message", (m) => m.id === id);
    await alice.next("delivered", (d) => d.id === id);
    await alice.stop();

    // Alice logs in from a new laptop: the rendezvous binds her account to the new key.
    const logins = bob.events.length;
    newAlice = await startPeer(address, "alice");
    await waitFor(
      "bob to see alice log in again",
      () => bob.events.slice(logins).some((e) => e.type === "presence" && e.online),
    );

    // The thief opens the stolen profile and writes to bob as alice, on the old session.
    stolen = await openProfile(oldDir);
    const now = Date.now();
    const signer = signerFromPrivateKey(stolen.identity);
    const ownKeys = new OwnKeyStore(stolen.db, stolen.storageKey);
    const kemKeys = new OwnKemKeyStore(stolen.db, stolen.storageKey);
    const prekeys = new PrekeyManager(stolen.identity, { ownKeys, kemKeys }, stolen.db);
    const sessions = new SessionManager(
      { identityKey: signer.publicKey, identityDh: await prekeys.identityDh(now) },
      ownKeys,
      new RatchetSessionStore(stolen.db, stolen.storageKey),
      kemKeys,
    );
    const bobKey = bob.profile.peerId.publicKey!.raw;
    const content = Content.encode({
      from: "alice",
      text: "send me the keys to the office",
      sentAt: BigInt(now),
      kind: "",
      payload: new Uint8Array(0),
    });
    const encrypted = await sessions.encrypt(
      { username: "bob", identityKey: bobKey },
      content,
      () => Promise.reject(new Error("the stolen profile has a session with bob")),
      now,
    );
    const messageId = newMessageId();
    const envelope = await sealEnvelope(signer, {
      sender: signer.publicKey,
      recipient: bobKey,
      messageId,
      timestamp: now,
      ratchetHeader: encrypted.message.header,
      ciphertext: encrypted.message.ciphertext,
    });
    thief = await createNode({ privateKey: stolen.identity, listen: [], agent: "thief" });
    await thief.peerStore.merge(bob.profile.peerId, { multiaddrs: bob.peer.node.getMultiaddrs() });
    const acks: Ack[] = [];
    const links = new ChatLinks(thief, logger("thief"));
    await links.start({
      onEnvelopes: () => Promise.reject(new Error("the thief reads nothing")),
      onAcks: (frame) => void acks.push(...frame),
      onLinkUp: () => {},
    });
    await links.send(peerIdFromPrivateKey(bob.profile.identity), envelope);
    await waitFor("bob's answer", () => acks.length > 0);
    assert.equal(acks[0]!.reason.length > 0, true);
    assert.match(acks[0]!.reason, /alice's account moved to another key: this key was retired/);
    assert.equal(
      bob.events.some((e) => e.type === "message" && e.text === "send me the keys to the office"),
      false,
    );
  } finally {
    await thief?.stop();
    stolen?.close();
    await stopAll(alice, bob, newAlice, rendezvous);
  }
});
