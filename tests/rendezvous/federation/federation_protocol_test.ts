/**
 * /tincan/federation/1.0.0, the callee side, on an in-memory stream pair with `:memory:` stores:
 * who is answered (listed name and PeerId, else E_NOT_AUTHORIZED, counted), lookups made and
 * consumed as local ones, forwarded deposits checked against the caller's certificate, the
 * per-remote rate and quota, and LIST_ONLINE.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import assert from "node:assert/strict";
import { PrekeyKind, signPrekey } from "../../../src/crypto/prekeys.ts";
import { issueCertificate, verifyCertificate } from "../../../src/crypto/statements.ts";
import {
  FederationRequest,
  FederationResponse,
  FederationStatus,
} from "../../../src/proto/federation.ts";
import { DirectoryResponse } from "../../../src/proto/services.ts";
import { Certifier } from "../../../src/rendezvous/certifier.ts";
import { FEDERATION_LIMITS, MAILBOX_LIMITS } from "../../../src/rendezvous/constants.ts";
import { parseFederatedNode } from "../../../src/rendezvous/federation/federated_node.ts";
import { federationProtocol } from "../../../src/rendezvous/federation/federation_protocol.ts";
import { presenceSubscriptions } from "../../../src/rendezvous/federation/presence_subscriptions.ts";
import { LoggedInUsers } from "../../../src/rendezvous/logged_in_users.ts";
import { Metrics } from "../../../src/rendezvous/metrics.ts";
import { RegistrationTable } from "../../../src/rendezvous/registrations.ts";
import { testEnvelope } from "../../integration/mailbox_helpers.ts";
import {
  addMember,
  assertResetBy,
  memoryLog,
  memoryStores,
  serve,
  type TestCaller,
  testCaller,
  TYPE_99_FRAME,
} from "../protocol_harness.ts";

const NOW = 1_700_000_000_000;
const EMPTY: FederationRequest = FederationRequest.decode(new Uint8Array(0));
const { HELLO, LOOKUP, KEY_LOG, DEPOSIT, LIST_ONLINE, SUBSCRIBE } = FederationRequest.Type;

/** `work` (this node) federating with `home`, whose node key the test holds. */
async function work(limits: Partial<typeof FEDERATION_LIMITS> = {}, showOnline = true) {
  const stores = memoryStores();
  const loggedIn = new LoggedInUsers();
  const workKey = await generateKeyPair("Ed25519");
  const home = await testCaller();
  const listed = parseFederatedNode(`home=/ip4/192.0.2.1/tcp/4001/p2p/${home.peerId}`);
  const metrics = new Metrics(() => NOW);
  const log = memoryLog();
  const handler = federationProtocol({
    ...stores,
    certifier: new Certifier(workKey, stores.accounts),
    loggedIn,
    table: new RegistrationTable(),
    log,
    now: () => NOW,
    metrics,
    name: "work",
    listed: (name) => name === "home" ? listed : undefined,
    mailboxLimits: MAILBOX_LIMITS,
    limits: { ...FEDERATION_LIMITS, ...limits },
    showOnline,
    subscriptions: presenceSubscriptions(loggedIn, log),
  });
  const ask = async (caller: TestCaller, request: Partial<FederationRequest>) => {
    const served = await serve(handler, caller, FederationRequest, FederationResponse);
    await served.client.write({ ...EMPTY, from: "home", ...request });
    const answer = await served.client.read();
    await served.done;
    return answer;
  };
  const member = async (username: string, online = true) =>
    addMember(stores.accounts, loggedIn, username, await testCaller(), { online, now: NOW });
  return { stores, loggedIn, workKey, home, metrics, log, ask, member, handler };
}

/** `username`'s certificate for `key`, signed by `signer` (home's node key). */
function certificate(username: string, key: PrivateKey, signer: PrivateKey) {
  return issueCertificate({
    username,
    identityKey: key.publicKey.raw,
    issuedAt: BigInt(NOW),
    expiresAt: BigInt(NOW + 60_000),
    keyChanged: false,
    keyLogLength: 1n,
  }, signer);
}

Deno.test("federation protocol: HELLO from the listed node is answered with this node's name", async () => {
  const w = await work();
  const answer = await w.ask(w.home, { type: HELLO });
  assert.equal(answer.status, FederationStatus.OK);
  assert.equal(answer.name, "work");
});

Deno.test("federation protocol: an unlisted node, or the listed name from another PeerId, is refused, logged and counted", async () => {
  const w = await work();
  const stranger = await testCaller();
  for (
    const [caller, from, why] of [
      [stranger, "other", /does not federate with "other"/],
      [stranger, "home", /home is listed here with PeerId .*, not /],
      [w.home, "other", /does not federate with "other"/],
    ] as const
  ) {
    for (const type of [HELLO, LOOKUP, DEPOSIT, LIST_ONLINE]) {
      const answer = await w.ask(caller, { type, from, username: "bob" });
      assert.equal(answer.status, FederationStatus.E_NOT_AUTHORIZED);
      assert.match(answer.statusText, why);
      assert.equal(answer.bundle.length, 0);
    }
  }
  assert.equal(w.metrics.value("federation_refused"), 12);
  assert.ok(w.log.lines.some((line) => line.startsWith("warn refused a federation request")));
  // the listed name is case-folded
  assert.equal((await w.ask(w.home, { type: HELLO, from: "HOME" })).status, FederationStatus.OK);
});

Deno.test("federation protocol: LOOKUP answers a local user's bundle, signed by this node, one prekey consumed", async () => {
  const w = await work();
  const bob = await w.member("bob");
  const x = () => crypto.getRandomValues(new Uint8Array(32));
  w.stores.prekeys.publish(
    "bob",
    {
      identityDhKey: await signPrekey(PrekeyKind.IdentityDh, 0, x(), bob.key),
      signedPrekey: await signPrekey(PrekeyKind.Signed, 1, x(), bob.key),
    },
    [await signPrekey(PrekeyKind.OneTime, 5, x(), bob.key)],
    100,
    NOW,
  );
  const first = DirectoryResponse.decode(
    (await w.ask(w.home, { type: LOOKUP, username: "Bob" })).bundle,
  );
  const certificate = await verifyCertificate(first.certificate, w.workKey.publicKey, NOW);
  assert.equal(certificate.username, "bob");
  assert.equal(first.oneTimePrekey?.id, 5);
  const second = DirectoryResponse.decode(
    (await w.ask(w.home, { type: LOOKUP, username: "bob" })).bundle,
  );
  assert.equal(second.oneTimePrekey, undefined, "never handed out twice");
  assert.equal(w.metrics.value("federation_lookups"), 2);

  const keyLog = await w.ask(w.home, { type: KEY_LOG, username: "bob" });
  assert.equal(keyLog.keyLog.length, 1);
  const nobody = await w.ask(w.home, { type: LOOKUP, username: "carol" });
  assert.equal(nobody.status, FederationStatus.E_NOT_FOUND);
  const bad = await w.ask(w.home, { type: KEY_LOG, username: "x" });
  assert.equal(bad.status, FederationStatus.E_INVALID_USERNAME);
});

Deno.test("federation protocol: DEPOSIT takes mail whose sender certificate is signed by the caller", async () => {
  const w = await work();
  const bob = await w.member("bob", false);
  const alice = await generateKeyPair("Ed25519");
  const envelope = await testEnvelope(alice, bob.key.publicKey.raw);
  const deposit = {
    type: DEPOSIT,
    username: "bob",
    envelope,
    senderCertificate: await certificate("alice", alice, w.home.key),
  };
  const taken = await w.ask(w.home, deposit);
  assert.equal(taken.status, FederationStatus.OK, taken.statusText);
  const again = await w.ask(w.home, deposit);
  assert.equal(again.mailId, taken.mailId, "a repeat is stored once");
  assert.equal(w.stores.mailbox.usage("bob").count, 1);
  assert.deepEqual(w.stores.mailbox.senderUsage("bob", "alice@home"), {
    count: 1,
    bytes: envelope.length,
  });
  assert.equal(w.stores.mailbox.remoteUsage("home").count, 1);
  assert.equal(w.metrics.value("federation_mail_received"), 2, "both deposits answered OK");
});

Deno.test("federation protocol: DEPOSIT refuses a certificate not signed by the caller, an envelope its key did not sign, a wrong recipient", async () => {
  const w = await work();
  const bob = await w.member("bob", false);
  const alice = await generateKeyPair("Ed25519");
  const mallory = await generateKeyPair("Ed25519");
  const cases: [string, Partial<FederationRequest>, FederationStatus, RegExp][] = [
    [
      "a certificate signed by another node",
      { senderCertificate: await certificate("alice", alice, mallory) },
      FederationStatus.E_INVALID_SIGNATURE,
      /does not verify with home's key/,
    ],
    [
      "no certificate",
      { senderCertificate: new Uint8Array(0) },
      FederationStatus.E_INVALID_SIGNATURE,
      /certificate/,
    ],
    [
      "an envelope signed by another key than the certificate's",
      { envelope: await testEnvelope(mallory, bob.key.publicKey.raw) },
      FederationStatus.E_INVALID_SIGNATURE,
      /./,
    ],
    [
      "an envelope for another key than bob's",
      { envelope: await testEnvelope(alice, alice.publicKey.raw) },
      FederationStatus.E_WRONG_RECIPIENT,
      /bob's current identity key/,
    ],
    ["a user not homed here", { username: "carol" }, FederationStatus.E_NOT_FOUND, /no user carol/],
  ];
  for (const [what, change, status, text] of cases) {
    const answer = await w.ask(w.home, {
      type: DEPOSIT,
      username: "bob",
      envelope: await testEnvelope(alice, bob.key.publicKey.raw),
      senderCertificate: await certificate("alice", alice, w.home.key),
      ...change,
    });
    assert.equal(answer.status, status, what);
    assert.match(answer.statusText, text, what);
  }
  assert.equal(w.stores.mailbox.usage("bob").count, 0);
});

Deno.test("federation protocol: a remote past its rate or its quota here gets E_REMOTE_QUOTA with when to retry", async () => {
  const w = await work({ depositBurst: 2, depositsPerMinute: 60, maxMailPerRemote: 1 });
  const bob = await w.member("bob", false);
  const alice = await generateKeyPair("Ed25519");
  const senderCertificate = await certificate("alice", alice, w.home.key);
  const deposit = async () =>
    await w.ask(w.home, {
      type: DEPOSIT,
      username: "bob",
      senderCertificate,
      envelope: await testEnvelope(alice, bob.key.publicKey.raw),
    });
  assert.equal((await deposit()).status, FederationStatus.OK);
  const overQuota = await deposit();
  assert.equal(overQuota.status, FederationStatus.E_REMOTE_QUOTA);
  assert.match(overQuota.statusText, /from home, the most it takes from one federated node/);
  assert.ok(overQuota.retryAfterMs > 0n);
  const overRate = await deposit();
  assert.equal(overRate.status, FederationStatus.E_REMOTE_QUOTA);
  assert.match(overRate.statusText, /home forwards more than 60 messages a minute here/);
  assert.equal(overRate.retryAfterMs, 1000n);
  assert.equal(w.metrics.value("federation_quota_refusals"), 2);
});

Deno.test("federation protocol: LIST_ONLINE pages who is online, or no one when the operator says so", async () => {
  const w = await work();
  for (const name of ["carol", "bob", "dave"]) await w.member(name);
  await w.member("offline", false);
  const page = await w.ask(w.home, { type: LIST_ONLINE, limit: 2 });
  assert.deepEqual(page.online.map((u) => u.username), ["bob", "carol"]);
  assert.equal(page.nextCursor, "carol");
  const rest = await w.ask(w.home, { type: LIST_ONLINE, cursor: "carol", limit: 2 });
  assert.deepEqual(rest.online.map((u) => u.username), ["dave"]);
  assert.equal(rest.nextCursor, "");

  const hidden = await work({}, false);
  await hidden.member("bob");
  assert.deepEqual((await hidden.ask(hidden.home, { type: LIST_ONLINE })).online, []);
});

Deno.test("federation protocol: SUBSCRIBE tells who of the names asked is online, then each change, and nothing else", async () => {
  const w = await work();
  const bob = await w.member("bob");
  await w.member("carol");
  const served = await serve(w.handler, w.home, FederationRequest, FederationResponse);
  await served.client.write({
    ...EMPTY,
    from: "home",
    type: SUBSCRIBE,
    usernames: ["Bob", "dave", "x"],
  });
  assert.equal((await served.client.read()).status, FederationStatus.OK);
  const first = (await served.client.read()).presence;
  assert.deepEqual(first, {
    username: "bob",
    online: true,
    peerId: bob.peerId,
    at: BigInt(NOW),
    away: "",
  });
  await w.member("erin"); // online now, but not asked for
  const dave = await testCaller();
  w.loggedIn.login("dave", dave.peerId, NOW + 5);
  w.loggedIn.logout(bob.peerId, NOW + 6);
  const updates = [(await served.client.read()).presence, (await served.client.read()).presence];
  assert.deepEqual(updates.map((u) => [u?.username, u?.online, u?.at]), [
    ["dave", true, BigInt(NOW + 5)],
    ["bob", false, BigInt(NOW + 6)],
  ]);
  await served.client.close();
  await served.done;
});

Deno.test("federation protocol: junk and unknown types reset the stream", async () => {
  const w = await work();
  const served = await serve(w.handler, w.home, FederationRequest, FederationResponse);
  await assertResetBy(served, TYPE_99_FRAME);
});
