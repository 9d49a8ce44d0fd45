/**
 * Attacks on the rendezvous mailbox by another logged-in account, against a real rendezvous:
 * pre-empting someone's message id so their real message is dropped as a duplicate, and filling
 * someone's mailbox so nobody else's mail gets in.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { newMessageId } from "../../src/crypto/envelope.ts";
import { FramedStream } from "../../src/net/framed.ts";
import { MailboxClient } from "../../src/peer/clients/mailbox.ts";
import { MailboxRequest, MailboxResponse, MailboxStatus } from "../../src/proto/mailbox.ts";
import { FRAMES } from "../../src/protocol/limits.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import { assertBytes, loggedInClient, remoteError, stopAll, withRendezvous } from "./harness.ts";
import { testEnvelope } from "./mailbox_helpers.ts";

/** A logged-in account whose key the test holds (to sign envelopes), with a mailbox stream. */
async function account(address: Multiaddr, username: string) {
  const key = await generateKeyPair("Ed25519");
  const node = await loggedInClient(address, username, "pw", key);
  const mail = await MailboxClient.open(node, address);
  return {
    key,
    node,
    mail,
    publicKey: node.peerId.publicKey!.raw,
    stop: async () => {
      await mail.close().catch(() => {});
      await node.stop();
    },
  };
}

Deno.test("mailbox attack: another account depositing alice's message id first does not suppress her message", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await account(address, "alice");
  const mallory = await account(address, "mallory");
  const bob = await account(address, "bob");
  try {
    const id = newMessageId(); // seen by mallory (say, in alice's earlier deposit) or guessed
    const forged = await testEnvelope(mallory.key, bob.publicKey, 32, id);
    const real = await testEnvelope(alice.key, bob.publicKey, 32, id);
    const forgedMail = await mallory.mail.deposit("bob", forged);
    const realMail = await alice.mail.deposit("bob", real);
    assert.notEqual(realMail, forgedMail, "alice's deposit is not taken for mallory's");
    const fetched = (await bob.mail.fetch()).mail;
    assert.equal(fetched.length, 2);
    assertBytes(fetched.find((m) => m.id === realMail)!.envelope, real);
    // alice's own repeat is still one message.
    assert.equal(await alice.mail.deposit("bob", real), realMail);
  } finally {
    await stopAll(alice, mallory, bob, rendezvous);
  }
});

Deno.test("mailbox attack: one account cannot fill someone's mailbox; being full is retryable", async () => {
  const { rendezvous, address } = await withRendezvous({
    mailboxLimits: { maxMailPerRecipient: 10, maxMailPerSender: 3, fullRetryAfterMs: 60_000 },
  });
  const alice = await account(address, "alice");
  const mallory = await account(address, "mallory");
  const bob = await account(address, "bob");
  try {
    for (let i = 0; i < 3; i++) {
      await mallory.mail.deposit("bob", await testEnvelope(mallory.key, bob.publicKey));
    }
    const refused = await remoteError(
      mallory.mail.deposit("bob", await testEnvelope(mallory.key, bob.publicKey)),
      "E_SENDER_QUOTA",
    );
    assert.match(refused.message, /holds 3 messages .* from mallory.*retry later/);
    // On the wire: the retryable status with its hint.
    const stream = await mallory.node.dialProtocol(address, PROTOCOL.mailbox);
    const raw = new FramedStream(stream, MailboxResponse, MailboxRequest, FRAMES.mailboxResponse);
    await raw.write({
      type: MailboxRequest.Type.DEPOSIT,
      recipient: "bob",
      envelope: await testEnvelope(mallory.key, bob.publicKey),
      limit: 0,
      ids: [],
    });
    const answer = await raw.read();
    assert.equal(answer.status, MailboxStatus.E_SENDER_QUOTA);
    assert.equal(answer.retryAfterMs, 60_000n);
    await raw.close();
    // alice's mail still gets in.
    await alice.mail.deposit("bob", await testEnvelope(alice.key, bob.publicKey));
  } finally {
    await stopAll(alice, mallory, bob, rendezvous);
  }
});
