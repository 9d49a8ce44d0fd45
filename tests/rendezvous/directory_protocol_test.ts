/**
 * /tincan/directory/1.0.0 on an in-memory stream pair with `:memory:` stores: uploads, lookups,
 * key logs, and the refusals (not logged in, bad signatures, bad frames, too many keys).
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import assert from "node:assert/strict";
import { generateKemKeyPair, KEM_TYPE_ML_KEM_768 } from "../../src/crypto/kem.ts";
import {
  PrekeyKind,
  prekeySignedBytes,
  signPrekey,
  verifyPrekey,
} from "../../src/crypto/prekeys.ts";
import { concat } from "../../src/crypto/primitives.ts";
import { verifyCertificate } from "../../src/crypto/statements.ts";
import { ProtocolError } from "../../src/errors.ts";
import { sealPeerRecord } from "../../src/net/peer_record.ts";
import {
  DirectoryRequest,
  DirectoryResponse,
  type KemPrekeyUpload,
  type SignedKey,
  Status,
} from "../../src/proto/services.ts";
import {
  FRAMES,
  MAX_DIRECTORY_REQUEST_BYTES,
  MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD,
  MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
} from "../../src/protocol/limits.ts";
import { MAX_KEM_ONE_TIME_PREKEYS_STORED } from "../../src/rendezvous/constants.ts";
import { Certifier } from "../../src/rendezvous/certifier.ts";
import { directoryProtocol } from "../../src/rendezvous/directory_protocol.ts";
import { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import { Metrics } from "../../src/rendezvous/metrics.ts";
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
    metrics: new Metrics(() => NOW),
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

/** One ML-KEM-768 key pair for every KEM prekey of these tests: the ids tell them apart. */
const KEM = generateKemKeyPair();

async function kemPrekeys(
  identity: PrivateKey,
  lastResort: number,
  oneTime: readonly number[],
): Promise<KemPrekeyUpload> {
  return {
    lastResortPrekey: await signPrekey(
      PrekeyKind.KemLastResort,
      lastResort,
      KEM.publicKey,
      identity,
    ),
    oneTimePrekeys: await Promise.all(
      oneTime.map((id) => signPrekey(PrekeyKind.KemOneTime, id, KEM.publicKey, identity)),
    ),
  };
}

/** An upload of X25519 one-time prekeys `oneTime` with KEM last-resort `lastResort`, one-time `kemOneTime`. */
async function pqUpload(
  identity: PrivateKey,
  oneTime: number[],
  lastResort: number,
  kemOneTime: readonly number[],
): Promise<DirectoryRequest> {
  return {
    ...await upload(identity, oneTime),
    kemPrekeys: await kemPrekeys(identity, lastResort, kemOneTime),
  };
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

Deno.test("directory: a PQXDH upload is stored; lookups get the last-resort KEM prekey and one one-time KEM prekey each, once", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const bob = await d.member("bob");
  const uploaded = await d.ask(bob, await pqUpload(bob.key, [11, 12], 3, [21, 22]));
  assert.equal(uploaded.status, Status.OK, uploaded.statusText);
  assert.equal(uploaded.oneTimePrekeysLeft, 2);
  assert.equal(uploaded.kemOneTimePrekeysLeft, 2);

  const identityKey = bob.key.publicKey.raw;
  const kemIds: (number | undefined)[] = [];
  for (const left of [1, 0]) {
    const found = await d.ask(alice, lookup("bob"));
    assert.equal(found.status, Status.OK, found.statusText);
    assert.ok(found.kemLastResortPrekey && found.kemOneTimePrekey);
    assert.equal(found.kemLastResortPrekey.id, 3);
    assert.ok(await verifyPrekey(PrekeyKind.KemLastResort, found.kemLastResortPrekey, identityKey));
    assert.ok(await verifyPrekey(PrekeyKind.KemOneTime, found.kemOneTimePrekey, identityKey));
    assert.equal(found.kemOneTimePrekeysLeft, left);
    kemIds.push(found.kemOneTimePrekey.id);
  }
  assert.deepEqual(kemIds, [21, 22], "each one-time KEM prekey once, lowest id first");
  const drained = await d.ask(alice, lookup("bob"));
  assert.equal(drained.kemOneTimePrekey, undefined, "the KEM pool is empty");
  assert.equal(drained.kemLastResortPrekey?.id, 3, "the last-resort KEM prekey stands in");
  assert.equal(drained.kemOneTimePrekeysLeft, 0);
  assert.equal(drained.signedPrekey?.id, 7);
});

Deno.test("directory: a lookup without a one-time prekey consumes no one-time KEM prekey either", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const bob = await d.member("bob");
  await d.ask(bob, await pqUpload(bob.key, [11], 3, [21]));
  const answer = await d.ask(alice, { ...lookup("bob"), withoutOneTimePrekey: true });
  assert.equal(answer.kemOneTimePrekey, undefined);
  assert.equal(answer.kemLastResortPrekey?.id, 3);
  assert.equal(answer.kemOneTimePrekeysLeft, 1);
  assert.equal(d.stores.prekeys.kemOneTimeCount("bob"), 1);
});

Deno.test("directory: concurrent lookups never share a one-time KEM prekey", async () => {
  const d = await directory();
  const bob = await d.member("bob");
  const lookers = await Promise.all(["alice", "carol", "dave"].map((name) => d.member(name)));
  await d.ask(bob, await pqUpload(bob.key, range(100, 10), 3, range(200, 10)));
  const answers = await Promise.all(
    lookers.flatMap((looker) => range(0, 5).map(() => d.ask(looker, lookup("bob")))),
  );
  const kemIds = answers.flatMap((a) => a.kemOneTimePrekey ? [a.kemOneTimePrekey.id] : []);
  assert.equal(kemIds.length, 10, "ten one-time KEM prekeys for fifteen lookups");
  assert.deepEqual([...new Set(kemIds)].sort(), range(200, 10), `handed out twice: ${kemIds}`);
  assert.ok(
    answers.every((a) => a.kemLastResortPrekey?.id === 3),
    "every answer has the last resort",
  );
  assert.equal(d.stores.prekeys.kemOneTimeCount("bob"), 0);
});

Deno.test("directory: KEM prekeys not signed by the uploader's identity key, or as another kind, are refused", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const other = await generateKeyPair("Ed25519");
  const good = await kemPrekeys(alice.key, 3, [21, 22]);
  const flipped = {
    ...good.oneTimePrekeys[1]!,
    signature: good.oneTimePrekeys[1]!.signature.slice(),
  };
  flipped.signature[5]! ^= 1;
  const asOneTime = await signPrekey(PrekeyKind.KemOneTime, 3, KEM.publicKey, alice.key);
  const asLastResort = await signPrekey(PrekeyKind.KemLastResort, 21, KEM.publicKey, alice.key);
  const asX25519 = await signPrekey(PrekeyKind.OneTime, 21, KEM.publicKey.slice(0, 32), alice.key);
  const bad: [KemPrekeyUpload, RegExp][] = [
    [await kemPrekeys(other, 3, [21]), /KemLastResort key 3 is not signed by your identity key/],
    [
      { ...good, oneTimePrekeys: [good.oneTimePrekeys[0]!, flipped] },
      /KemOneTime key 22 is not signed/,
    ],
    [{ ...good, lastResortPrekey: asOneTime }, /KemLastResort key 3 is not signed/],
    [{ ...good, oneTimePrekeys: [asLastResort] }, /KemOneTime key 21 is not signed/],
    [{ ...good, oneTimePrekeys: [asX25519] }, /KemOneTime key 21 is not a valid ML-KEM-768/],
    [
      { ...good, lastResortPrekey: { ...good.lastResortPrekey!, id: 4 } },
      /KemLastResort key 4 is not signed/,
    ],
  ];
  for (const [kemPrekeys, why] of bad) {
    const answer = await d.ask(alice, { ...await upload(alice.key, [1]), kemPrekeys });
    assert.equal(answer.status, Status.E_INVALID_SIGNATURE, why.source);
    assert.match(answer.statusText, why);
  }
  assert.equal(d.stores.prekeys.published("alice"), undefined, "nothing stored");
  assert.equal(d.stores.prekeys.oneTimeCount("alice"), 0);
  assert.equal(d.stores.prekeys.kemOneTimeCount("alice"), 0);
});

/**
 * What the identity key signs for a KEM prekey, laid out by hand (prekeys.ts): signPrekey will
 * not sign a key that fails the FIPS 203 check, and a hostile uploader does not ask it.
 */
function kemSignedBytes(kind: PrekeyKind, id: number, publicKey: Uint8Array): Uint8Array {
  const header = new Uint8Array(6);
  header[1] = kind;
  new DataView(header.buffer).setUint32(2, id);
  return concat(
    new TextEncoder().encode("tincan-prekey-v1"),
    header,
    Uint8Array.of(KEM_TYPE_ML_KEM_768),
    publicKey,
  );
}

Deno.test("directory: a signed ML-KEM-768 key that fails the FIPS 203 modulus check is refused", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  assert.deepEqual(
    kemSignedBytes(PrekeyKind.KemOneTime, 21, KEM.publicKey),
    prekeySignedBytes(PrekeyKind.KemOneTime, 21, KEM.publicKey),
    "the hand layout is what a valid key's signature covers",
  );
  const invalid = KEM.publicKey.slice();
  invalid[0] = 0xff;
  invalid[1]! |= 0x0f; // the first 12-bit coefficient is 4095, not below q = 3329
  const signInvalid = async (kind: PrekeyKind, id: number): Promise<SignedKey> => ({
    id,
    publicKey: invalid,
    signature: await alice.key.sign(kemSignedBytes(kind, id, invalid)),
  });
  const good = await kemPrekeys(alice.key, 3, [21]);
  for (
    const kemPrekeys of [
      { ...good, lastResortPrekey: await signInvalid(PrekeyKind.KemLastResort, 3) },
      { ...good, oneTimePrekeys: [await signInvalid(PrekeyKind.KemOneTime, 21)] },
      {
        ...good,
        oneTimePrekeys: [{ ...good.oneTimePrekeys[0]!, publicKey: KEM.publicKey.slice(1) }],
      },
    ]
  ) {
    const answer = await d.ask(alice, { ...await upload(alice.key, []), kemPrekeys });
    assert.equal(answer.status, Status.E_INVALID_SIGNATURE);
    assert.match(answer.statusText, /is not a valid ML-KEM-768 encapsulation key \(FIPS 203/);
  }
  assert.equal(d.stores.prekeys.published("alice"), undefined, "nothing stored");
});

Deno.test("directory: a KEM upload without its last-resort prekey is a bad request", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const { oneTimePrekeys } = await kemPrekeys(alice.key, 3, [21]);
  const answer = await d.ask(alice, {
    ...await upload(alice.key, []),
    kemPrekeys: { oneTimePrekeys },
  });
  assert.equal(answer.status, Status.E_BAD_REQUEST);
  assert.match(answer.statusText, /needs a last-resort KEM prekey/);
  assert.equal(d.stores.prekeys.published("alice"), undefined);
});

Deno.test("directory: a KEM prekey id uploaded again is stored once; with another key it is refused", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const bob = await d.member("bob");
  const first = await pqUpload(bob.key, [], 3, [21, 22]);
  assert.equal((await d.ask(bob, first)).kemOneTimePrekeysLeft, 2);
  const retried = await d.ask(bob, first);
  assert.equal(retried.status, Status.OK, "a retried upload is idempotent");
  assert.equal(retried.kemOneTimePrekeysLeft, 2);

  const otherKem = generateKemKeyPair().publicKey;
  const reused = {
    ...first,
    kemPrekeys: {
      ...first.kemPrekeys!,
      oneTimePrekeys: [await signPrekey(PrekeyKind.KemOneTime, 22, otherKem, bob.key)],
    },
  };
  const refused = await d.ask(bob, reused);
  assert.equal(refused.status, Status.E_BAD_REQUEST);
  assert.match(refused.statusText, /one-time KEM prekey id 22 is already stored with another key/);
  const lastResortReused = {
    ...first,
    kemPrekeys: {
      ...first.kemPrekeys!,
      lastResortPrekey: await signPrekey(PrekeyKind.KemLastResort, 3, otherKem, bob.key),
    },
  };
  assert.equal((await d.ask(bob, lastResortReused)).status, Status.E_BAD_REQUEST);

  // A rotated last-resort KEM prekey (a new id) replaces the old one.
  const rotated = await d.ask(bob, await pqUpload(bob.key, [], 4, []));
  assert.equal(rotated.status, Status.OK, rotated.statusText);
  const found = await d.ask(alice, lookup("bob"));
  assert.equal(found.kemLastResortPrekey?.id, 4);
  assert.deepEqual(
    found.kemOneTimePrekey?.publicKey,
    KEM.publicKey,
    "the refused key was not stored",
  );
});

Deno.test("directory: an upload without KEM prekeys (an older version) withdraws them: lookups give an X3DH bundle", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const bob = await d.member("bob");
  await d.ask(bob, await pqUpload(bob.key, [11], 3, [21]));
  const classic = await d.ask(bob, await upload(bob.key, []));
  assert.equal(classic.status, Status.OK);
  assert.equal(classic.kemOneTimePrekeysLeft, 0);
  const found = await d.ask(alice, lookup("bob"));
  assert.equal(found.kemLastResortPrekey, undefined);
  assert.equal(found.kemOneTimePrekey, undefined);
  assert.equal(found.oneTimePrekey?.id, 11);
});

Deno.test("directory: the one-time KEM pool is capped; an upload past the cap stores nothing", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const batch = MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD;
  for (let from = 0; from < MAX_KEM_ONE_TIME_PREKEYS_STORED; from += batch) {
    const answer = await d.ask(alice, await pqUpload(alice.key, [], 3, range(from, batch)));
    assert.equal(answer.status, Status.OK, answer.statusText);
    assert.equal(answer.kemOneTimePrekeysLeft, from + batch);
  }
  const over = await d.ask(
    alice,
    await pqUpload(alice.key, [1], 4, [MAX_KEM_ONE_TIME_PREKEYS_STORED]),
  );
  assert.equal(over.status, Status.E_UNAVAILABLE);
  assert.match(
    over.statusText,
    new RegExp(
      `${MAX_KEM_ONE_TIME_PREKEYS_STORED + 1} one-time KEM prekeys would be stored; ` +
        `the limit is ${MAX_KEM_ONE_TIME_PREKEYS_STORED}`,
    ),
  );
  assert.equal(d.stores.prekeys.kemOneTimeCount("alice"), MAX_KEM_ONE_TIME_PREKEYS_STORED);
  assert.equal(d.stores.prekeys.oneTimeCount("alice"), 0, "the X25519 half was not stored either");
  assert.equal(d.stores.prekeys.published("alice")?.kemLastResortPrekey?.id, 3);
});

Deno.test("directory: the largest upload fits one directory frame and is stored", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const top = 0xffffffff; // the longest id varints
  const full = await pqUpload(
    alice.key,
    range(top - MAX_ONE_TIME_PREKEYS_PER_UPLOAD + 1, MAX_ONE_TIME_PREKEYS_PER_UPLOAD),
    top,
    range(top - MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD + 1, MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD),
  );
  const bytes = DirectoryRequest.encode(full).length;
  assert.ok(bytes <= MAX_DIRECTORY_REQUEST_BYTES, `${bytes} B > ${MAX_DIRECTORY_REQUEST_BYTES}`);
  assert.ok(bytes > 64 * 1024, "it would not have fit the old 64 KiB frame");
  assert.equal(FRAMES.directory.maxFrameBytes, MAX_DIRECTORY_REQUEST_BYTES);
  const answer = await d.ask(alice, full);
  assert.equal(answer.status, Status.OK, answer.statusText);
  assert.equal(answer.oneTimePrekeysLeft, MAX_ONE_TIME_PREKEYS_PER_UPLOAD);
  assert.equal(answer.kemOneTimePrekeysLeft, MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD);
});

Deno.test("directory: more one-time KEM prekeys than an upload may carry reset the stream", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  const tooMany = await pqUpload(alice.key, [], 3, []);
  const spare = await signPrekey(PrekeyKind.KemOneTime, 1, KEM.publicKey, alice.key);
  tooMany.kemPrekeys!.oneTimePrekeys = Array(MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD + 1).fill(spare);
  const over = await serve(d.handler, alice, DirectoryRequest, DirectoryResponse);
  await over.client.write(tooMany);
  await assert.rejects(over.done, ProtocolError);
  assert.equal(d.stores.prekeys.published("alice"), undefined);
});

Deno.test("directory: LIST_ONLINE pages who is online here, by username", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  await d.member("carol");
  await d.member("bob");
  await d.member("offline", false);
  const first = await d.ask(alice, {
    ...NOTHING,
    type: DirectoryRequest.Type.LIST_ONLINE,
    limit: 2,
  });
  assert.equal(first.status, Status.OK);
  assert.deepEqual(first.online.map((u) => u.username), ["alice", "bob"]);
  assert.equal(first.online[0]!.since, BigInt(NOW));
  const rest = await d.ask(alice, {
    ...NOTHING,
    type: DirectoryRequest.Type.LIST_ONLINE,
    cursor: first.nextCursor,
  });
  assert.deepEqual(rest.online.map((u) => u.username), ["carol"]);
  assert.equal(rest.nextCursor, "");
});

Deno.test("directory: a node that federates with none answers a named server E_UNKNOWN_SERVER", async () => {
  const d = await directory();
  const alice = await d.member("alice");
  for (const type of [DirectoryRequest.Type.LOOKUP, DirectoryRequest.Type.KEY_LOG]) {
    const answer = await d.ask(alice, { ...lookup("bob"), type, server: "work" });
    assert.equal(answer.status, Status.E_UNKNOWN_SERVER);
    assert.match(answer.statusText, /federates with no server \(asked for work\)/);
  }
  // an empty server is this node
  assert.equal((await d.ask(alice, { ...lookup("alice"), server: "" })).status, Status.OK);
  const servers = await d.ask(alice, { ...NOTHING, type: DirectoryRequest.Type.SERVERS });
  assert.equal(servers.status, Status.OK);
  assert.deepEqual(servers.servers, []);
});
