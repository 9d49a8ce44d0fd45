/**
 * Federation between real rendezvous nodes on loopback: `home` and `work` list each other,
 * `other` is listed by nobody. Lookups across nodes (vouched, one one-time prekey consumed at
 * the user's home), the refused node, a wrong PeerId, one-sided listing, mail forwarded (and
 * held while the remote is down, delivered once when it is back), receipts the other way, the
 * per-remote quota, /list and /servers.
 */
import { generateKeyPair, publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import assert from "node:assert/strict";
import { PrekeyKind, signPrekey } from "../../src/crypto/prekeys.ts";
import { verifyServerVouch } from "../../src/crypto/server_vouch.ts";
import { verifyCertificate, verifyKeyLog } from "../../src/crypto/statements.ts";
import { newMessageId } from "../../src/crypto/envelope.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { uploadPrekeys } from "../../src/peer/clients/directory.ts";
import { MailboxClient } from "../../src/peer/clients/mailbox.ts";
import { FederationRequest, FederationStatus } from "../../src/proto/federation.ts";
import { ForwardState, MailboxRequest, MailboxStatus } from "../../src/proto/mailbox.ts";
import { DirectoryRequest, FederatedServer, Status } from "../../src/proto/services.ts";
import { parseFederatedNode } from "../../src/rendezvous/federation/federated_node.ts";
import type { Rendezvous } from "../../src/rendezvous/server.ts";
import {
  askDirectory,
  askMailbox,
  depositAt,
  federatedOptions,
  federationRequest,
  lookupAt,
  type NodePlan,
  planNode,
} from "./federation_helpers.ts";
import { clientNode, FAST, stopAll, waitFor, withRendezvous } from "./harness.ts";
import { testEnvelope } from "./mailbox_helpers.ts";

/** A logged-in user of the rendezvous at `plan`, with the key the test holds. */
interface User {
  readonly node: TincanNode;
  readonly key: PrivateKey;
}

async function user(plan: NodePlan, username: string): Promise<User> {
  const key = await generateKeyPair("Ed25519");
  const node = await clientNode(key);
  await registerAccount(node, plan.address, username, `pw-${username}`, FAST);
  await login(node, plan.address, username, `pw-${username}`, FAST);
  return { node, key };
}

/** Publishes an identity-DH key, a signed prekey and one-time prekeys `ids` for `who`. */
async function publish(who: User, plan: NodePlan, ids: readonly number[]): Promise<void> {
  const x25519 = () => crypto.getRandomValues(new Uint8Array(32));
  await uploadPrekeys(who.node, plan.address, {
    identityDhKey: await signPrekey(PrekeyKind.IdentityDh, 0, x25519(), who.key),
    signedPrekey: await signPrekey(PrekeyKind.Signed, 1, x25519(), who.key),
    oneTimePrekeys: await Promise.all(
      ids.map((id) => signPrekey(PrekeyKind.OneTime, id, x25519(), who.key)),
    ),
  });
}

/** home and work, listing each other, running in this process. */
async function homeAndWork(
  workExtra: Parameters<typeof federatedOptions>[2] = {},
): Promise<{ home: NodePlan; work: NodePlan; homeNode: Rendezvous; workNode: Rendezvous }> {
  const home = await planNode("home");
  const work = await planNode("work");
  const homeNode = (await withRendezvous(federatedOptions(home, [work]))).rendezvous;
  const workNode = (await withRendezvous(federatedOptions(work, [home], workExtra))).rendezvous;
  return { home, work, homeNode, workNode };
}

Deno.test("federation: alice@home looks up bob@work: vouched, signed by work, one prekey consumed at work", async () => {
  const { home, work, homeNode, workNode } = await homeAndWork();
  const alice = await user(home, "alice");
  const bob = await user(work, "bob");
  try {
    await publish(bob, work, [1, 2]);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const found = await lookupAt(alice.node, home.address, "Bob", "WORK");
      assert.equal(found.status, Status.OK, found.statusText);
      const vouch = await verifyServerVouch(found.vouch!, home.key.publicKey, "work", Date.now());
      assert.deepEqual(new Uint8Array(vouch.key), new Uint8Array(work.key.publicKey.raw));
      const certificate = await verifyCertificate(
        found.certificate,
        publicKeyFromRaw(vouch.key),
        Date.now(),
      );
      assert.equal(certificate.username, "bob");
      assert.deepEqual(new Uint8Array(certificate.identityKey), bob.key.publicKey.raw);
      // not signed by home: alice's own rendezvous cannot stand in for work's users
      await assert.rejects(verifyCertificate(found.certificate, home.key.publicKey, Date.now()));
      if (found.oneTimePrekey) seen.push(found.oneTimePrekey.id);
      assert.ok(found.signedPrekey, "the bundle carries bob's signed prekey");
    }
    assert.deepEqual(seen.sort(), [1, 2], "each one-time prekey handed out once, then none");
    assert.equal(workNode.metrics.value("federation_lookups"), 3);

    const log = await askDirectory(alice.node, home.address, {
      type: DirectoryRequest.Type.KEY_LOG,
      username: "bob",
      server: "work",
    });
    assert.equal(log.status, Status.OK, log.statusText);
    assert.equal((await verifyKeyLog(log.keyLog, "bob", work.key.publicKey)).length, 1);
    assert.ok(log.vouch);

    const nobody = await lookupAt(alice.node, home.address, "carol", "work");
    assert.equal(nobody.status, Status.E_NOT_FOUND);
    assert.match(nobody.statusText, /no user carol at work/);
    const nowhere = await lookupAt(alice.node, home.address, "bob", "nowhere");
    assert.equal(nowhere.status, Status.E_UNKNOWN_SERVER);
    assert.match(nowhere.statusText, /does not federate with nowhere \(it federates with work\)/);
    // bob@home typed on home is home's own bob: not found here, and no vouch
    const local = await lookupAt(alice.node, home.address, "alice", "Home");
    assert.equal(local.status, Status.OK);
    assert.equal(local.vouch, undefined);
  } finally {
    await stopAll(alice.node, bob.node, homeNode, workNode);
  }
});

Deno.test("federation: a node that is not listed, or claims a listed name with another PeerId, is refused and counted", async () => {
  const { home, homeNode, workNode } = await homeAndWork();
  const stranger = await clientNode();
  try {
    for (const from of ["other", "work", "home", ""]) {
      const answer = await federationRequest(stranger, home.address, { from });
      assert.equal(answer.status, FederationStatus.E_NOT_AUTHORIZED, from);
    }
    const impostor = await federationRequest(stranger, home.address, {
      type: FederationRequest.Type.LOOKUP,
      from: "work",
      username: "alice",
    });
    assert.equal(impostor.status, FederationStatus.E_NOT_AUTHORIZED);
    assert.match(impostor.statusText, /work is listed here with PeerId .*, not /);
    assert.equal(homeNode.metrics.value("federation_refused"), 5);
    assert.equal(
      homeNode.federation.nodes()[0]?.refused,
      2,
      "the requests in work's name, shown for work on the dashboard",
    );
    // work itself is answered
    const hello = await federationRequest(workNode.node, home.address, { from: "work" });
    assert.equal(hello.status, FederationStatus.OK);
    assert.equal(hello.name, "home");
    assert.equal(homeNode.metrics.value("federation_refused"), 5);
  } finally {
    await stopAll(stranger, homeNode, workNode);
  }
});

Deno.test("federation: home listing work with another PeerId never reaches it, and /servers says why", async () => {
  const home = await planNode("home");
  const work = await planNode("work");
  const notWork = await generateKeyPair("Ed25519");
  const wrong = `work=/ip4/127.0.0.1/tcp/${work.port}/p2p/${peerIdFromPrivateKey(notWork)}`;
  const homeNode = (await withRendezvous({
    ...federatedOptions(home, []),
    federate: [parseFederatedNode(wrong)],
  })).rendezvous;
  const workNode = (await withRendezvous(federatedOptions(work, [home]))).rendezvous;
  const alice = await user(home, "alice");
  await user(work, "bob").then((bob) => bob.node.stop());
  try {
    const found = await lookupAt(alice.node, home.address, "bob", "work");
    assert.equal(found.status, Status.E_REMOTE_UNAVAILABLE, found.statusText);
    assert.equal(found.certificate.length, 0);
    const servers = await askDirectory(alice.node, home.address, {
      type: DirectoryRequest.Type.SERVERS,
    });
    assert.equal(servers.serverName, "home");
    assert.equal(servers.servers.length, 1);
    assert.equal(servers.servers[0]!.state, FederatedServer.LinkState.DOWN);
    assert.notEqual(servers.servers[0]!.lastError, "");
  } finally {
    await stopAll(alice.node, homeNode, workNode);
  }
});

Deno.test("federation: when work does not list home, home's users get E_REMOTE_UNAVAILABLE saying so", async () => {
  const home = await planNode("home");
  const work = await planNode("work");
  const homeNode = (await withRendezvous(federatedOptions(home, [work]))).rendezvous;
  const workNode = (await withRendezvous(federatedOptions(work, []))).rendezvous;
  const alice = await user(home, "alice");
  try {
    const found = await lookupAt(alice.node, home.address, "bob", "work");
    assert.equal(found.status, Status.E_REMOTE_UNAVAILABLE);
    assert.match(found.statusText, /work refuses this node/);
    assert.ok(workNode.metrics.value("federation_refused") >= 1);
  } finally {
    await stopAll(alice.node, homeNode, workNode);
  }
});

Deno.test("federation: mail for bob@work is forwarded once, receipts come back the same way", async () => {
  const { home, work, homeNode, workNode } = await homeAndWork();
  const alice = await user(home, "alice");
  const bob = await user(work, "bob");
  try {
    const messageId = newMessageId();
    const envelope = await testEnvelope(alice.key, bob.key.publicKey.raw, 64, messageId);
    for (let i = 0; i < 2; i++) {
      const sent = await depositAt(alice.node, home.address, "bob", "work", envelope);
      assert.equal(sent.status, MailboxStatus.OK, sent.statusText);
      assert.equal(sent.queuedFor, undefined, "work took it at once");
    }
    const bobMail = await MailboxClient.open(bob.node, work.address);
    const { mail } = await bobMail.fetch();
    assert.equal(mail.length, 1, "forwarded once, however often it was deposited");
    assert.deepEqual(new Uint8Array(mail[0]!.envelope), new Uint8Array(envelope));
    await bobMail.close();
    assert.equal(homeNode.metrics.value("federation_mail_forwarded"), 1);

    const status = await askMailbox(alice.node, home.address, {
      type: MailboxRequest.Type.FORWARD_STATUS,
      forwardQuery: { messageIds: [messageId, newMessageId()] },
    });
    assert.deepEqual(status.forwards.map((f) => f.state), [
      ForwardState.State.DELIVERED,
      ForwardState.State.UNKNOWN,
    ]);

    // bob's receipt for alice@home goes to work, which forwards it to home
    const receipt = await testEnvelope(bob.key, alice.key.publicKey.raw);
    const back = await depositAt(bob.node, work.address, "alice", "home", receipt);
    assert.equal(back.status, MailboxStatus.OK, back.statusText);
    const aliceMail = await MailboxClient.open(alice.node, home.address);
    assert.equal((await aliceMail.fetch()).mail.length, 1);
    await aliceMail.close();

    // work's verdicts come back: bob's key is not the recipient, carol does not exist
    const wrongKey = await depositAt(
      alice.node,
      home.address,
      "bob",
      "work",
      await testEnvelope(alice.key, alice.key.publicKey.raw),
    );
    assert.equal(wrongKey.status, MailboxStatus.E_WRONG_RECIPIENT);
    assert.match(wrongKey.statusText, /^work refused: /);
    const nobody = await depositAt(
      alice.node,
      home.address,
      "carol",
      "work",
      await testEnvelope(alice.key, bob.key.publicKey.raw),
    );
    assert.equal(nobody.status, MailboxStatus.E_NOT_FOUND);
    const unknown = await depositAt(alice.node, home.address, "bob", "other", envelope);
    assert.equal(unknown.status, MailboxStatus.E_UNKNOWN_SERVER);
    // an envelope alice did not sign is refused at home
    const forged = await depositAt(
      alice.node,
      home.address,
      "bob",
      "work",
      await testEnvelope(bob.key, bob.key.publicKey.raw),
    );
    assert.equal(forged.status, MailboxStatus.E_INVALID_SIGNATURE);
  } finally {
    await stopAll(alice.node, bob.node, homeNode, workNode);
  }
});

Deno.test("federation: mail for bob@work waits at home while work is down, and is delivered once when it is back", async () => {
  const { home, work, homeNode, workNode } = await homeAndWork();
  const alice = await user(home, "alice");
  const bob = await user(work, "bob");
  let restarted: Rendezvous | undefined;
  try {
    await bob.node.stop();
    await workNode.stop();
    const messageId = newMessageId();
    const envelope = await testEnvelope(alice.key, bob.key.publicKey.raw, 64, messageId);
    const sent = await depositAt(alice.node, home.address, "bob", "work", envelope);
    assert.equal(sent.status, MailboxStatus.OK, sent.statusText);
    assert.equal(sent.queuedFor, "work");
    const queued = await askMailbox(alice.node, home.address, {
      type: MailboxRequest.Type.FORWARD_STATUS,
      forwardQuery: { messageIds: [messageId] },
    });
    assert.equal(queued.forwards[0]!.state, ForwardState.State.QUEUED);
    const servers = await askDirectory(alice.node, home.address, {
      type: DirectoryRequest.Type.SERVERS,
    });
    assert.equal(servers.servers[0]!.queuedMail, 1);
    assert.equal(servers.servers[0]!.state, FederatedServer.LinkState.DOWN);

    restarted = (await withRendezvous(federatedOptions(work, [home]))).rendezvous;
    await waitFor("the mail to reach work", async () => {
      const state = await askMailbox(alice.node, home.address, {
        type: MailboxRequest.Type.FORWARD_STATUS,
        forwardQuery: { messageIds: [messageId] },
      });
      return state.forwards[0]!.state === ForwardState.State.DELIVERED;
    });
    const bobAgain = await clientNode(bob.key);
    await login(bobAgain, work.address, "bob", "pw-bob", FAST);
    const bobMail = await MailboxClient.open(bobAgain, work.address);
    assert.equal((await bobMail.fetch()).mail.length, 1);
    await bobMail.close();
    await bobAgain.stop();
  } finally {
    await stopAll(alice.node, homeNode, restarted);
  }
});

Deno.test("federation: a remote flooding mail meets its rate here, and the sender learns it failed", async () => {
  const { home, work, homeNode, workNode } = await homeAndWork({
    federationLimits: { depositBurst: 3, depositsPerMinute: 1 },
  });
  const alice = await user(home, "alice");
  const bob = await user(work, "bob");
  try {
    const statuses: MailboxStatus[] = [];
    let last = "";
    let retryAfterMs = 0n;
    for (let i = 0; i < 5; i++) {
      const sent = await depositAt(
        alice.node,
        home.address,
        "bob",
        "work",
        await testEnvelope(alice.key, bob.key.publicKey.raw),
      );
      statuses.push(sent.status);
      last = sent.statusText;
      retryAfterMs = sent.retryAfterMs;
    }
    assert.deepEqual(statuses, [
      MailboxStatus.OK,
      MailboxStatus.OK,
      MailboxStatus.OK,
      MailboxStatus.E_REMOTE_QUOTA,
      MailboxStatus.E_REMOTE_QUOTA,
    ]);
    assert.match(last, /^work refused: home forwards more than 1 messages a minute here/);
    assert.ok(retryAfterMs > 0n);
    assert.equal(workNode.metrics.value("federation_quota_refusals"), 2);
  } finally {
    await stopAll(alice.node, bob.node, homeNode, workNode);
  }
});

Deno.test("federation: the mail of one remote's users here is capped, whoever sends it", async () => {
  const { home, work, homeNode, workNode } = await homeAndWork({
    federationLimits: { maxMailPerRemote: 2 },
  });
  const alice = await user(home, "alice");
  const carol = await user(home, "carol");
  const bob = await user(work, "bob");
  try {
    const statuses: MailboxStatus[] = [];
    for (const sender of [alice, carol, alice]) {
      const sent = await depositAt(
        sender.node,
        home.address,
        "bob",
        "work",
        await testEnvelope(sender.key, bob.key.publicKey.raw),
      );
      statuses.push(sent.status);
    }
    assert.deepEqual(statuses, [MailboxStatus.OK, MailboxStatus.OK, MailboxStatus.E_REMOTE_QUOTA]);
    // the mailbox names the senders qualified, so their share is theirs
    const bobMail = await MailboxClient.open(bob.node, work.address);
    const { mail } = await bobMail.fetch();
    assert.equal(mail.length, 2);
    await bobMail.acknowledge(mail.map((m) => m.id));
    await bobMail.close();
    const again = await depositAt(
      alice.node,
      home.address,
      "bob",
      "work",
      await testEnvelope(alice.key, bob.key.publicKey.raw),
    );
    assert.equal(again.status, MailboxStatus.OK, "room again once bob fetched his mail");
  } finally {
    await stopAll(alice.node, carol.node, bob.node, homeNode, workNode);
  }
});

Deno.test("federation: /list work pages who is online at work; /servers shows the link up", async () => {
  const { home, work, homeNode, workNode } = await homeAndWork();
  const alice = await user(home, "alice");
  const workers = await Promise.all(["bob", "dan", "eve"].map((name) => user(work, name)));
  try {
    const first = await askDirectory(alice.node, home.address, {
      type: DirectoryRequest.Type.LIST_ONLINE,
      server: "work",
      limit: 2,
    });
    assert.equal(first.status, Status.OK, first.statusText);
    assert.deepEqual(first.online.map((u) => u.username), ["bob", "dan"]);
    assert.equal(first.nextCursor, "dan");
    const second = await askDirectory(alice.node, home.address, {
      type: DirectoryRequest.Type.LIST_ONLINE,
      server: "work",
      cursor: first.nextCursor,
      limit: 2,
    });
    assert.deepEqual(second.online.map((u) => u.username), ["eve"]);
    assert.equal(second.nextCursor, "");
    const local = await askDirectory(alice.node, home.address, {
      type: DirectoryRequest.Type.LIST_ONLINE,
    });
    assert.deepEqual(local.online.map((u) => u.username), ["alice"]);
    const servers = await askDirectory(alice.node, home.address, {
      type: DirectoryRequest.Type.SERVERS,
    });
    assert.equal(servers.serverName, "home");
    assert.deepEqual(servers.servers.map((s) => [s.name, s.peerId, s.state]), [
      ["work", work.listed.peerId.toString(), FederatedServer.LinkState.UP],
    ]);
    await verifyServerVouch(servers.servers[0]!.vouch, home.key.publicKey, "work", Date.now());
  } finally {
    await stopAll(alice.node, ...workers.map((w) => w.node), homeNode, workNode);
  }
});

Deno.test("federation: with --no-federated-list, work shows home's users no one", async () => {
  const { home, homeNode, workNode } = await homeAndWork({ federatedList: false });
  const alice = await user(home, "alice");
  try {
    const list = await askDirectory(alice.node, home.address, {
      type: DirectoryRequest.Type.LIST_ONLINE,
      server: "work",
    });
    assert.equal(list.status, Status.OK);
    assert.deepEqual(list.online, []);
  } finally {
    await stopAll(alice.node, homeNode, workNode);
  }
});

Deno.test("federation: three nodes — other lists home, home does not list other: refused both ways, home and work unaffected", async () => {
  const home = await planNode("home");
  const work = await planNode("work");
  const other = await planNode("other");
  const homeNode = (await withRendezvous(federatedOptions(home, [work]))).rendezvous;
  const workNode = (await withRendezvous(federatedOptions(work, [home]))).rendezvous;
  const otherNode = (await withRendezvous(federatedOptions(other, [home, work]))).rendezvous;
  const alice = await user(home, "alice");
  const bob = await user(work, "bob");
  const carol = await user(other, "carol");
  try {
    const fromOther = await lookupAt(carol.node, other.address, "alice", "home");
    assert.equal(fromOther.status, Status.E_REMOTE_UNAVAILABLE);
    assert.match(fromOther.statusText, /home refuses this node/);
    const mail = await depositAt(
      carol.node,
      other.address,
      "alice",
      "home",
      await testEnvelope(carol.key, alice.key.publicKey.raw),
    );
    assert.equal(mail.status, MailboxStatus.OK);
    assert.equal(mail.queuedFor, "home", "held at other until home lists it (it never does here)");
    assert.ok(homeNode.metrics.value("federation_refused") >= 2);
    assert.equal(homeNode.metrics.value("mailbox_deposits"), 0, "nothing of other's got in");

    const toOther = await lookupAt(alice.node, home.address, "carol", "other");
    assert.equal(toOther.status, Status.E_UNKNOWN_SERVER);
    const fine = await lookupAt(alice.node, home.address, "bob", "work");
    assert.equal(fine.status, Status.OK, fine.statusText);
  } finally {
    await stopAll(alice.node, bob.node, carol.node, homeNode, workNode, otherNode);
  }
});

Deno.test("federation: mail queued while work was down and refused by it later is FAILED in FORWARD_STATUS, with why", async () => {
  const limits = { federationLimits: { maxMailPerRemote: 1 } };
  const { home, work, homeNode, workNode } = await homeAndWork(limits);
  const alice = await user(home, "alice");
  const bob = await user(work, "bob");
  let restarted: Rendezvous | undefined;
  try {
    const fill = await testEnvelope(alice.key, bob.key.publicKey.raw);
    assert.equal(
      (await depositAt(alice.node, home.address, "bob", "work", fill)).status,
      MailboxStatus.OK,
    );
    await bob.node.stop();
    await workNode.stop();
    const messageId = newMessageId();
    const late = await testEnvelope(alice.key, bob.key.publicKey.raw, 64, messageId);
    const queued = await depositAt(alice.node, home.address, "bob", "work", late);
    assert.equal(queued.queuedFor, "work");
    restarted = (await withRendezvous(federatedOptions(work, [home], limits))).rendezvous;
    let state: ForwardState | undefined;
    await waitFor("work's verdict", async () => {
      const answer = await askMailbox(alice.node, home.address, {
        type: MailboxRequest.Type.FORWARD_STATUS,
        forwardQuery: { messageIds: [messageId] },
      });
      state = answer.forwards[0];
      return state?.state !== ForwardState.State.QUEUED;
    });
    assert.equal(state?.state, ForwardState.State.FAILED);
    assert.equal(state?.status, MailboxStatus.E_REMOTE_QUOTA);
    assert.match(state?.statusText ?? "", /^work refused: this node holds 1 messages/);
    assert.ok((state?.retryAfterMs ?? 0n) > 0n);
    assert.equal(state?.server, "work");
    assert.equal(state?.recipient, "bob");
  } finally {
    await stopAll(alice.node, homeNode, restarted);
  }
});
