/**
 * /tincan/directory/1.0.0 on an in-memory stream pair with `:memory:` stores: uploads, lookups,
 * key logs, and the refusals (not logged in, bad signatures, bad frames, too many keys).
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import assert from "node:assert/strict";
import { PrekeyKind, signPrekey } from "../../src/crypto/prekeys.ts";
import { verifyCertificate } from "../../src/crypto/statements.ts";
import { ProtocolError } from "../../src/errors.ts";
import { sealPeerRecord } from "../../src/net/peer_record.ts";
import {
  DirectoryRequest,
  DirectoryResponse,
  type SignedKey,
  Status,
} from "../../src/proto/services.ts";
import { MAX_ONE_TIME_PREKEYS_PER_UPLOAD } from "../../src/protocol/limits.ts";
import { Certifier } from "../../src/rendezvous/certifier.ts";
import { directoryProtocol } from "../../src/rendezvous/directory_protocol.ts";
import { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import { RegistrationTable } from "../../src/rendezvous/registrations.ts";
import {
  addMember,
  assertResetBy,
  KEY_LOG_STATEMENT,
  memoryLog,
  memoryStores,
  serve,
  type TestCaller,
  testCaller,
} from "./protocol_harness.ts";

const NOW = 1_700_000_000_000;

async function directory() {
  const stores = memoryStores();
  const serverKey = await generateKeyPair("Ed25519");
  const certifier = new Certifier(serverKey, stores.accounts);
  const loggedIn = new LoggedInUsers();
  const table = new RegistrationTable();
  const handler = directoryProtocol({
    ...stores,
    certifier,
    loggedIn,
    table,
    log: memoryLog(),
    now: () => NOW,
  });
  /** A caller with an account `username` (logged in unless `online` is false). */
  const member = async (username: string, online = true): Promise<TestCaller> =>
    addMember(stores.accounts, loggedIn, username, await testCaller(), { online, now: NOW });
  /** Sends one request as `caller`; returns the answer once the handler has closed the stream. */
  const ask = async (caller: TestCaller, request: DirectoryRequest) => {
    const served = await serve(handler, caller, DirectoryRequest, DirectoryResponse);
    await served.client.write(request);
    const response = await served.client.read();
    await served.done;
    assert.equal(await served.client.readOrEnd(), undefined, "one answer, then the stream ends");
    return response;
  };
  return { stores, serverKey, loggedIn, table, handler, member, ask };
}

const NOTHING = {
  username: "",
  oneTimePrekeys: [] as SignedKey[],
  withoutOneTimePrekey: false,
};

function lookup(username: string): DirectoryRequest {
  return { ...NOTHING, type: DirectoryRequest.Type.LOOKUP, username };
}

function key(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

async function upload(identity: PrivateKey, oneTime: number[]): Promise<DirectoryRequest> {
  return {
    ...NOTHING,
    type: DirectoryRequest.Type.UPLOAD_PREKEYS,
    identityDhKey: await signPrekey(PrekeyKind.IdentityDh, 0, key(1), identity),
    signedPrekey: await signPrekey(PrekeyKind.Signed, 7, key(2), identity),
    oneTimePrekeys: await Promise.all(
      oneTime.map((id) => signPrekey(PrekeyKind.OneTime, id, key(id), identity)),
    ),
  };
}

Deno.test("directory: an upload is stored; a lookup gets a certificate and a one-time prekey once", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const bob = await d.member("bob");
  const uploaded = await d.ask(bob, await upload(bob.key, [11, 12]));
  assert.equal(uploaded.status, Status.OK, uploaded.statusText);
  assert.equal(uploaded.oneTimePrekeysLeft, 2);

  const first = await d.ask(alice, lookup("Bob"));
  assert.equal(first.status, Status.OK, first.statusText);
  const certificate = await verifyCertificate(first.certificate, d.serverKey.publicKey, NOW);
  assert.equal(certificate.username, "bob");
  assert.deepEqual(certificate.identityKey, bob.key.publicKey.raw);
  assert.equal(first.signedPrekey?.id, 7);
  assert.equal(first.identityDhKey?.id, 0);
  assert.equal(first.oneTimePrekeysLeft, 1);
  const second = await d.ask(alice, lookup("bob"));
  assert.notEqual(second.oneTimePrekey?.id, first.oneTimePrekey?.id, "never handed out twice");
  const third = await d.ask(alice, lookup("bob"));
  assert.equal(third.oneTimePrekey, undefined, "the pool is empty");
  assert.equal(third.signedPrekey?.id, 7);

  const keyLog = await d.ask(alice, { ...lookup("bob"), type: DirectoryRequest.Type.KEY_LOG });
  assert.equal(keyLog.status, Status.OK);
  assert.deepEqual(keyLog.keyLog, [KEY_LOG_STATEMENT]);
});

Deno.test("directory: a lookup without a one-time prekey leaves the pool alone", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const bob = await d.member("bob");
  await d.ask(bob, await upload(bob.key, [11]));
  const answer = await d.ask(alice, { ...lookup("bob"), withoutOneTimePrekey: true });
  assert.equal(answer.oneTimePrekey, undefined);
  assert.equal(answer.oneTimePrekeysLeft, 1);
});

Deno.test("directory: a lookup carries the signed peer records of an online user", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const bob = await d.member("bob");
  const record = await sealPeerRecord(bob.key, ["/ip4/192.0.2.8/tcp/4001"], 1n);
  d.table.register(bob.peerId, "tincan", record, 1n, 0, NOW);
  const online = await d.ask(alice, lookup("bob"));
  assert.deepEqual(online.peerRecords, [record]);
  d.loggedIn.logout(bob.peerId, NOW);
  assert.deepEqual((await d.ask(alice, lookup("bob"))).peerRecords, [], "offline: none");
});

Deno.test("directory: a peer that is not logged in is refused, and the stream closed", async () => {
  const d = await directory();
  const stranger = await testCaller();
  const offline = await d.member("carol", false);
  for (const caller of [stranger, offline]) {
    for (const request of [lookup("carol"), await upload(caller.key, [1])]) {
      const answer = await d.ask(caller, request);
      assert.equal(answer.status, Status.E_NOT_AUTHORIZED);
      assert.equal(answer.statusText, "log in first");
    }
  }
  assert.equal(d.stores.prekeys.published("carol"), undefined);
});

Deno.test("directory: unknown users, invalid names and keys signed by another key are refused", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const nobody = await d.ask(alice, lookup("nobody"));
  assert.equal(nobody.status, Status.E_NOT_FOUND);
  assert.match(nobody.statusText, /nobody/);
  assert.equal((await d.ask(alice, lookup("a b"))).status, Status.E_INVALID_USERNAME);

  const other = await generateKeyPair("Ed25519");
  const forged = await d.ask(alice, await upload(other, [1]));
  assert.equal(forged.status, Status.E_INVALID_SIGNATURE);
  const mixed = await upload(alice.key, []);
  mixed.oneTimePrekeys.push(await signPrekey(PrekeyKind.OneTime, 9, key(9), other));
  assert.equal((await d.ask(alice, mixed)).status, Status.E_INVALID_SIGNATURE);
  const incomplete = { ...NOTHING, type: DirectoryRequest.Type.UPLOAD_PREKEYS };
  assert.equal((await d.ask(alice, incomplete)).status, Status.E_BAD_REQUEST);
  assert.equal(d.stores.prekeys.published("alice"), undefined, "nothing stored");
});

Deno.test("directory: bad frames and uploads over the limit reset the stream", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const garbage = await serve(d.handler, alice, DirectoryRequest, DirectoryResponse);
  await assertResetBy(garbage, Uint8Array.of(3, 0xff, 0xff, 0xff));

  const tooMany = await upload(alice.key, []);
  const spare = await signPrekey(PrekeyKind.OneTime, 1, key(1), alice.key);
  tooMany.oneTimePrekeys = Array(MAX_ONE_TIME_PREKEYS_PER_UPLOAD + 1).fill(spare);
  const over = await serve(d.handler, alice, DirectoryRequest, DirectoryResponse);
  await over.client.write(tooMany);
  await assert.rejects(over.done, ProtocolError);
  assert.equal(d.stores.prekeys.published("alice"), undefined);

  const silent = await serve(d.handler, alice, DirectoryRequest, DirectoryResponse);
  await silent.raw.close();
  await assert.rejects(silent.done, ProtocolError, "a stream that ends before its request");
});
