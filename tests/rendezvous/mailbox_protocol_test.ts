/**
 * /tincan/mailbox/1.0.0 on an in-memory stream pair with `:memory:` stores: deposit, fetch and
 * acknowledge on one stream, and the refusals (not logged in, forged or misaddressed envelopes,
 * quotas, bad frames, too many ids).
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { ProtocolError } from "../../src/errors.ts";
import { MailboxRequest, MailboxResponse, MailboxStatus } from "../../src/proto/mailbox.ts";
import { MAX_ACK_IDS } from "../../src/protocol/limits.ts";
import { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import { mailboxProtocol } from "../../src/rendezvous/mailbox_protocol.ts";
import { Metrics } from "../../src/rendezvous/metrics.ts";
import { testEnvelope } from "../integration/mailbox_helpers.ts";
import {
  addMember,
  assertResetBy,
  memoryLog,
  memoryStores,
  serve,
  type TestCaller,
  testCaller,
  TYPE_99_FRAME,
} from "./protocol_harness.ts";

const NOW = 1_700_000_000_000;
const LIMITS = { maxMailPerRecipient: 3, maxEnvelopeBytes: 1024, ttlMs: 60_000 };

function mailbox() {
  const stores = memoryStores();
  const loggedIn = new LoggedInUsers();
  let now = NOW;
  const handler = mailboxProtocol({
    ...stores,
    loggedIn,
    log: memoryLog(),
    now: () => now,
    limits: LIMITS,
    metrics: new Metrics(() => now),
  });
  const member = async (username: string, online = true) =>
    addMember(stores.accounts, loggedIn, username, await testCaller(), { online, now });
  /** A mailbox stream of `caller`: `ask` sends one request and reads its answer. */
  const open = async (caller: TestCaller) => {
    const served = await serve(handler, caller, MailboxRequest, MailboxResponse);
    const ask = async (request: Partial<MailboxRequest> & Pick<MailboxRequest, "type">) => {
      await served.client.write({ ...EMPTY, ...request });
      return await served.client.read();
    };
    return { ...served, ask };
  };
  return { stores, loggedIn, handler, member, open, setNow: (t: number) => now = t };
}

/** A request with every field at its default (what an empty frame decodes to). */
const EMPTY: MailboxRequest = MailboxRequest.decode(new Uint8Array(0));
const { DEPOSIT, FETCH, ACK } = MailboxRequest.Type;

Deno.test("mailbox: deposit, fetch in order and acknowledge, many requests on one stream", async () => {
  const m = mailbox();
  const alice = await m.member("alice");
  const bob = await m.member("bob");
  const bobKey = bob.key.publicKey.raw;
  const first = await testEnvelope(alice.key, bobKey);
  const second = await testEnvelope(alice.key, bobKey);

  const aliceMail = await m.open(alice);
  const deposited = await aliceMail.ask({ type: DEPOSIT, recipient: "Bob", envelope: first });
  assert.equal(deposited.status, MailboxStatus.OK, deposited.statusText);
  const again = await aliceMail.ask({ type: DEPOSIT, recipient: "bob", envelope: first });
  assert.equal(again.id, deposited.id, "a repeated deposit is stored once");
  await aliceMail.ask({ type: DEPOSIT, recipient: "bob", envelope: second });
  await aliceMail.client.close();
  await aliceMail.done;

  const bobMail = await m.open(bob);
  const fetched = await bobMail.ask({ type: FETCH, limit: 1 });
  assert.equal(fetched.status, MailboxStatus.OK);
  assert.deepEqual(fetched.mail.map((mail) => mail.envelope), [first]);
  assert.equal(fetched.mail[0]?.depositedAt, BigInt(NOW));
  assert.equal(fetched.more, true);
  const rest = await bobMail.ask({ type: FETCH, limit: 100 });
  assert.deepEqual(rest.mail.map((mail) => mail.envelope), [first, second], "kept until acked");
  const acked = await bobMail.ask({ type: ACK, ids: rest.mail.map((mail) => mail.id) });
  assert.equal(acked.deleted, 2);
  assert.deepEqual((await bobMail.ask({ type: FETCH, limit: 100 })).mail, []);
  await bobMail.client.close();
  await bobMail.done;
});

Deno.test("mailbox: a peer that is not logged in is refused on every request", async () => {
  const m = mailbox();
  const bob = await m.member("bob");
  const carol = await m.member("carol", false);
  const stranger = await m.open(carol);
  const envelope = await testEnvelope(carol.key, bob.key.publicKey.raw);
  for (const request of [{ type: DEPOSIT, recipient: "bob", envelope }, { type: FETCH }]) {
    const refused = await stranger.ask(request);
    assert.equal(refused.status, MailboxStatus.E_NOT_AUTHORIZED);
    assert.equal(refused.statusText, "log in first");
  }
  assert.equal(m.stores.mailbox.usage("bob").count, 0);
  // The check is made per request: once carol logs in, the same stream serves her.
  m.loggedIn.login("carol", carol.peerId, NOW);
  const served = await stranger.ask({ type: DEPOSIT, recipient: "bob", envelope });
  assert.equal(served.status, MailboxStatus.OK);
  await stranger.client.close();
  await stranger.done;
});

Deno.test("mailbox: forged, misaddressed, oversize and over-quota deposits are refused", async () => {
  const m = mailbox();
  const alice = await m.member("alice");
  const bob = await m.member("bob");
  const bobKey = bob.key.publicKey.raw;
  const mail = await m.open(alice);
  const deposit = (recipient: string, envelope: Uint8Array) =>
    mail.ask({ type: DEPOSIT, recipient, envelope });

  const other = await generateKeyPair("Ed25519");
  const forged = await deposit("bob", await testEnvelope(other, bobKey));
  assert.equal(forged.status, MailboxStatus.E_INVALID_SIGNATURE);
  assert.equal((await deposit("bob", Uint8Array.of(1, 2, 3))).status, "E_INVALID_SIGNATURE");
  const wrong = await deposit("bob", await testEnvelope(alice.key, new Uint8Array(32).fill(7)));
  assert.equal(wrong.status, MailboxStatus.E_WRONG_RECIPIENT);
  assert.match(wrong.statusText, /not for bob's current identity key/);
  const nobody = await deposit("nobody", await testEnvelope(alice.key, bobKey));
  assert.equal(nobody.status, MailboxStatus.E_NOT_FOUND);
  const invalid = await deposit("no body", await testEnvelope(alice.key, bobKey));
  assert.equal(invalid.status, MailboxStatus.E_INVALID_USERNAME);
  const large = await deposit("bob", new Uint8Array(LIMITS.maxEnvelopeBytes + 1));
  assert.equal(large.status, MailboxStatus.E_TOO_LARGE);
  assert.match(large.statusText, /at most 1024/);
  assert.equal(m.stores.mailbox.usage("bob").count, 0, "nothing refused was stored");

  for (let i = 0; i < LIMITS.maxMailPerRecipient; i++) {
    assert.equal((await deposit("bob", await testEnvelope(alice.key, bobKey))).status, "OK");
  }
  const full = await deposit("bob", await testEnvelope(alice.key, bobKey));
  assert.equal(full.status, MailboxStatus.E_MAILBOX_FULL);
  assert.equal(m.stores.mailbox.usage("bob").count, LIMITS.maxMailPerRecipient);
  await mail.client.close();
  await mail.done;
});

Deno.test("mailbox: mail past its TTL is not fetched", async () => {
  const m = mailbox();
  const alice = await m.member("alice");
  const bob = await m.member("bob");
  const mail = await m.open(alice);
  await mail.ask({
    type: DEPOSIT,
    recipient: "bob",
    envelope: await testEnvelope(alice.key, bob.key.publicKey.raw),
  });
  m.setNow(NOW + LIMITS.ttlMs + 1);
  const bobMail = await m.open(bob);
  assert.deepEqual((await bobMail.ask({ type: FETCH, limit: 10 })).mail, []);
  for (const stream of [mail, bobMail]) {
    await stream.client.close();
    await stream.done;
  }
});

Deno.test("mailbox: bad frames and an ACK with too many ids reset the stream", async () => {
  const m = mailbox();
  const alice = await m.member("alice");
  const garbage = await m.open(alice);
  await assertResetBy(garbage, TYPE_99_FRAME);

  const tooMany = await m.open(alice);
  await tooMany.client.write({
    ...EMPTY,
    type: ACK,
    ids: Array.from({ length: MAX_ACK_IDS + 1 }, (_, i) => BigInt(i)),
  });
  await assert.rejects(tooMany.done, ProtocolError);
});

Deno.test("mailbox: a deposit for a named server, or FORWARD_STATUS, on a node that federates with none", async () => {
  const m = mailbox();
  const alice = await m.member("alice");
  const bob = await m.member("bob");
  const aliceMail = await m.open(alice);
  const remote = await aliceMail.ask({
    type: DEPOSIT,
    recipient: "bob",
    server: "work",
    envelope: await testEnvelope(alice.key, bob.key.publicKey.raw),
  });
  assert.equal(remote.status, MailboxStatus.E_UNKNOWN_SERVER);
  assert.equal(m.stores.mailbox.usage("bob").count, 0, "not taken as local mail");
  const status = await aliceMail.ask({
    type: MailboxRequest.Type.FORWARD_STATUS,
    forwardQuery: { messageIds: [new Uint8Array(16)] },
  });
  assert.equal(status.status, MailboxStatus.E_BAD_REQUEST);
  await aliceMail.client.close();
  await aliceMail.done;
});
