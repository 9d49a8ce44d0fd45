/** /tincan/directory/1.0.0 against a real rendezvous: prekey upload, lookup, key logs. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { generateKemKeyPair } from "../../src/crypto/kem.ts";
import { PrekeyKind, signPrekey, verifyPrekey } from "../../src/crypto/prekeys.ts";
import { verifyCertificate } from "../../src/crypto/statements.ts";
import { sealPeerRecord } from "../../src/net/peer_record.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import {
  type KemPrekeys,
  lookupUser,
  type PrekeyUpload,
  uploadPrekeys,
  type UserRecord,
} from "../../src/peer/clients/directory.ts";
import { DiscoveryClient } from "../../src/peer/clients/discovery.ts";
import { DirectoryRequest, type SignedKey, Status } from "../../src/proto/services.ts";
import { MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD } from "../../src/protocol/limits.ts";
import {
  assertBytes,
  clientNode,
  FAST,
  loggedInClient,
  remoteError,
  stopAll,
  waitFor,
  withRendezvous,
} from "./harness.ts";

/** A registered, logged-in user whose identity key the test holds. */
async function userWithKey(
  address: Multiaddr,
  username: string,
): Promise<{ node: TincanNode; key: PrivateKey }> {
  const key = await generateKeyPair("Ed25519");
  const node = await clientNode(key);
  try {
    await registerAccount(node, address, username, `pw-${username}`, FAST);
    await login(node, address, username, `pw-${username}`, FAST);
  } catch (err: unknown) {
    await node.stop();
    throw err;
  }
  return { node, key };
}

function x25519Key(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** Signed keys: the identity-DH key, signed prekey 1 and one-time prekeys `ids`. */
async function prekeys(identity: PrivateKey, ids: readonly number[]): Promise<PrekeyUpload> {
  return {
    identityDhKey: await signPrekey(PrekeyKind.IdentityDh, 0, x25519Key(), identity),
    signedPrekey: await signPrekey(PrekeyKind.Signed, 1, x25519Key(), identity),
    oneTimePrekeys: await Promise.all(
      ids.map((id) => signPrekey(PrekeyKind.OneTime, id, x25519Key(), identity)),
    ),
  };
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

Deno.test("directory: a lookup returns verifiable keys and one fresh one-time prekey", async () => {
  const { rendezvous, address } = await withRendezvous();
  const serverKey = rendezvous.node.peerId.publicKey!;
  const alice = await userWithKey(address, "alice");
  const bob = await loggedInClient(address, "bob");
  try {
    const keys = await prekeys(alice.key, [11, 12, 13]);
    assert.equal((await uploadPrekeys(alice.node, address, keys)).oneTime, 3);

    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const found = await lookupUser(bob, address, "Alice");
      const cert = await verifyCertificate(found.certificate, serverKey, Date.now());
      assert.equal(cert.username, "alice");
      assertBytes(cert.identityKey, alice.node.peerId.publicKey!.raw);
      assert.ok(found.identityDhKey && found.signedPrekey && found.oneTimePrekey);
      assert.ok(await verifyPrekey(PrekeyKind.IdentityDh, found.identityDhKey, cert.identityKey));
      assert.ok(await verifyPrekey(PrekeyKind.Signed, found.signedPrekey, cert.identityKey));
      assert.ok(await verifyPrekey(PrekeyKind.OneTime, found.oneTimePrekey, cert.identityKey));
      assertBytes(found.signedPrekey.publicKey, keys.signedPrekey.publicKey);
      seen.push(found.oneTimePrekey.id);
    }
    assert.deepEqual(seen.sort(), [11, 12, 13]);

    // All consumed: the long-term keys are still there, a one-time prekey is not.
    for (let i = 0; i < 2; i++) {
      const found = await lookupUser(bob, address, "alice");
      assert.equal(found.oneTimePrekey, undefined);
      assert.ok(found.signedPrekey);
    }

    // A user who has published nothing is found with a certificate and no keys.
    const bobRecord = await lookupUser(alice.node, address, "bob");
    assert.equal(
      (await verifyCertificate(bobRecord.certificate, serverKey, Date.now())).username,
      "bob",
    );
    assert.equal(bobRecord.signedPrekey, undefined);
    assert.equal(bobRecord.oneTimePrekey, undefined);
  } finally {
    await stopAll(alice.node, bob, rendezvous);
  }
});

Deno.test("directory: concurrent lookups never share a one-time prekey", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await userWithKey(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const carol = await loggedInClient(address, "carol");
  try {
    await uploadPrekeys(alice.node, address, await prekeys(alice.key, range(100, 10)));
    const lookups = [bob, carol].flatMap((node) =>
      range(0, 6).map(() => lookupUser(node, address, "alice"))
    );
    const results = await Promise.all(lookups);
    const ids = results.flatMap((r) => r.oneTimePrekey ? [r.oneTimePrekey.id] : []);
    assert.equal(ids.length, 10, "ten prekeys for twelve lookups");
    assert.equal(new Set(ids).size, ids.length, `a prekey was handed out twice: ${ids}`);
  } finally {
    await stopAll(alice.node, bob, carol, rendezvous);
  }
});

Deno.test("directory: forty lookups at once from one peer all answer: over the rendezvous's stream limit they wait, not fail", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await userWithKey(address, "alice");
  const bob = await loggedInClient(address, "bob");
  try {
    await uploadPrekeys(alice.node, address, await prekeys(alice.key, range(100, 1)));
    const lookups = range(0, 40).map(() =>
      lookupUser(bob, address, "alice", { withoutOneTimePrekey: true })
    );
    const results = await Promise.allSettled(lookups);
    const failed = results.flatMap((r) => r.status === "rejected" ? [String(r.reason)] : []);
    assert.deepEqual(failed, [], `${failed.length} of 40 lookups failed`);
  } finally {
    await stopAll(alice.node, bob, rendezvous);
  }
});

Deno.test("directory: uploads signed by another key are refused", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await userWithKey(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const mallory = await generateKeyPair("Ed25519");
  try {
    const good = await prekeys(alice.key, [1, 2]);
    const forged = await prekeys(mallory, [1, 2]);
    const flipped = {
      ...good.oneTimePrekeys[1]!,
      signature: good.oneTimePrekeys[1]!.signature.slice(),
    };
    flipped.signature[0]! ^= 1;
    const wrongKind = await signPrekey(PrekeyKind.OneTime, 1, x25519Key(), alice.key);
    for (
      const bad of [
        forged,
        { ...good, oneTimePrekeys: [good.oneTimePrekeys[0]!, flipped] },
        { ...good, signedPrekey: wrongKind },
        { ...good, identityDhKey: { ...good.identityDhKey, id: 7 } },
        { ...good, signedPrekey: { ...good.signedPrekey, publicKey: new Uint8Array(31) } },
      ]
    ) {
      await remoteError(uploadPrekeys(alice.node, address, bad), Status.E_INVALID_SIGNATURE);
    }
    // Nothing of the refused uploads was stored.
    const found = await lookupUser(bob, address, "alice");
    assert.equal(found.signedPrekey, undefined);
    assert.equal(found.oneTimePrekey, undefined);
  } finally {
    await stopAll(alice.node, bob, rendezvous);
  }
});

Deno.test("directory: lookups need a login and a known user", async () => {
  const { rendezvous, address } = await withRendezvous();
  const bob = await loggedInClient(address, "bob");
  const stranger = await clientNode();
  try {
    await remoteError(lookupUser(stranger, address, "bob"), Status.E_NOT_AUTHORIZED);
    const keys = await prekeys(await generateKeyPair("Ed25519"), [1]);
    await remoteError(uploadPrekeys(stranger, address, keys), Status.E_NOT_AUTHORIZED);
    const err = await remoteError(lookupUser(bob, address, "nobody"), Status.E_NOT_FOUND);
    assert.match(err.message, /nobody/);
    await remoteError(lookupUser(bob, address, "no!"), Status.E_INVALID_USERNAME);
  } finally {
    await stopAll(bob, stranger, rendezvous);
  }
});

Deno.test("directory: a lookup carries the user's registered peer records", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await userWithKey(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const discovery = await DiscoveryClient.open(alice.node, address);
  try {
    const record = await sealPeerRecord(alice.key, ["/ip4/127.0.0.1/tcp/4100"], 1n);
    await discovery.register("tincan/chat", record);
    await discovery.register("other", record);
    const found = await lookupUser(bob, address, "alice");
    assert.equal(found.peerRecords.length, 1);
    assertBytes(found.peerRecords[0]!, record);
  } finally {
    await discovery.close().catch(() => {});
    await stopAll(alice.node, bob, rendezvous);
  }
});

Deno.test("directory: published prekeys survive a restart of the rendezvous", async () => {
  const first = await withRendezvous();
  const alice = await userWithKey(first.address, "alice");
  const bob = await loggedInClient(first.address, "bob");
  let second: Awaited<ReturnType<typeof withRendezvous>> | undefined;
  try {
    const keys = await prekeys(alice.key, [1, 2]);
    await uploadPrekeys(alice.node, first.address, keys);
    assert.equal((await lookupUser(bob, first.address, "alice")).oneTimePrekey?.id, 1);
    await first.rendezvous.stop();
    // The restarted rendezvous has the same PeerId: let the client drop the dead connection
    // first, or libp2p reuses it for the new address.
    await waitFor(
      "the client to see the rendezvous go",
      () => bob.getConnections(first.rendezvous.node.peerId).length === 0,
    );

    second = await withRendezvous({ dataDir: first.dataDir });
    await login(bob, second.address, "bob", "pw-bob", FAST);
    const found = await lookupUser(bob, second.address, "alice");
    assertBytes(found.identityDhKey!.publicKey, keys.identityDhKey.publicKey);
    assertBytes(found.signedPrekey!.publicKey, keys.signedPrekey.publicKey);
    assert.equal(found.oneTimePrekey?.id, 2, "the prekey consumed before the restart stays gone");
    assert.equal((await lookupUser(bob, second.address, "alice")).oneTimePrekey, undefined);
  } finally {
    await stopAll(alice.node, bob, first.rendezvous, second?.rendezvous);
  }
});

Deno.test("directory: a key change drops the prekeys signed by the old key", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await userWithKey(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const aliceNew = await clientNode();
  try {
    await uploadPrekeys(alice.node, address, await prekeys(alice.key, [1, 2]));
    await login(aliceNew, address, "alice", "pw-alice", FAST);
    const found = await lookupUser(bob, address, "alice");
    assert.equal(found.signedPrekey, undefined);
    assert.equal(found.oneTimePrekey, undefined);
  } finally {
    await stopAll(alice.node, aliceNew, bob, rendezvous);
  }
});

/** An ML-KEM-768 prekey of `kind` and `id`, a fresh key, signed by `identity`. */
async function kemKey(identity: PrivateKey, kind: PrekeyKind, id: number): Promise<SignedKey> {
  return await signPrekey(kind, id, generateKemKeyPair().publicKey, identity);
}

/** One-time ML-KEM-768 prekeys with ids `ids`, signed by `identity`. */
async function kemOneTime(identity: PrivateKey, ids: readonly number[]): Promise<SignedKey[]> {
  return await Promise.all(ids.map((id) => kemKey(identity, PrekeyKind.KemOneTime, id)));
}

/** The upload of `keys` and the ML-KEM-768 prekeys `kemPrekeys`. */
function pqUpload(keys: PrekeyUpload, kemPrekeys: KemPrekeys): PrekeyUpload {
  return { ...keys, kemPrekeys };
}

Deno.test("directory: a full PQXDH pool uploads in one request; concurrent lookups drain it once each, then get the last-resort KEM prekey", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await userWithKey(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const carol = await loggedInClient(address, "carol");
  try {
    const pool = MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD;
    const lastResortPrekey = await kemKey(alice.key, PrekeyKind.KemLastResort, 7);
    const full = pqUpload(await prekeys(alice.key, range(1, 100)), {
      lastResortPrekey,
      oneTimePrekeys: await kemOneTime(alice.key, range(1000, pool)),
    });
    const onTheWire = DirectoryRequest.encode({
      type: DirectoryRequest.Type.UPLOAD_PREKEYS,
      ...full,
      oneTimePrekeys: [...full.oneTimePrekeys],
      kemPrekeys: { lastResortPrekey, oneTimePrekeys: [...full.kemPrekeys!.oneTimePrekeys] },
    });
    assert.ok(onTheWire.length > 64 * 1024, "more than the old frame limit");
    const uploaded = await uploadPrekeys(alice.node, address, full);
    assert.equal(uploaded.kemOneTime, pool);
    assert.equal(uploaded.oneTime, 100);

    const untouched = await lookupUser(bob, address, "alice", { withoutOneTimePrekey: true });
    assert.equal(untouched.kemOneTimePrekey, undefined);
    assert.equal(untouched.kemOneTimePrekeysLeft, pool, "a lookup without one-time prekeys");

    // Six streams at a time per client (the rendezvous allows eight directory streams per
    // connection), each looking up one after another: 108 lookups for 100 keys.
    const lookInTurn = async (node: TincanNode) => {
      const got: UserRecord[] = [];
      for (let i = 0; i < 9; i++) got.push(await lookupUser(node, address, "alice"));
      return got;
    };
    const answers = (await Promise.all(
      [bob, carol].flatMap((node) => range(0, 6).map(() => lookInTurn(node))),
    )).flat();
    const identityKey = alice.key.publicKey.raw;
    const kemIds: number[] = [];
    for (const answer of answers) {
      assert.ok(answer.kemLastResortPrekey, "every answer has the last-resort KEM prekey");
      assertBytes(answer.kemLastResortPrekey.publicKey, lastResortPrekey.publicKey);
      if (answer.kemOneTimePrekey === undefined) continue;
      assert.ok(await verifyPrekey(PrekeyKind.KemOneTime, answer.kemOneTimePrekey, identityKey));
      kemIds.push(answer.kemOneTimePrekey.id);
    }
    assert.equal(kemIds.length, pool, `${pool} one-time KEM prekeys for ${answers.length} lookups`);
    assert.equal(new Set(kemIds).size, pool, "no one-time KEM prekey handed out twice");

    const drained = await lookupUser(bob, address, "alice");
    assert.equal(drained.kemOneTimePrekey, undefined);
    assert.ok(drained.kemLastResortPrekey, "the last-resort KEM prekey stands in");
    assert.ok(
      await verifyPrekey(PrekeyKind.KemLastResort, drained.kemLastResortPrekey, identityKey),
    );
    assert.equal(drained.kemOneTimePrekeysLeft, 0);

    // The peer refills: its last-resort KEM prekey again, and new one-time KEM prekeys.
    const refill = await uploadPrekeys(
      alice.node,
      address,
      pqUpload(await prekeys(alice.key, []), {
        lastResortPrekey,
        oneTimePrekeys: await kemOneTime(alice.key, range(2000, 3)),
      }),
    );
    assert.equal(refill.kemOneTime, 3);
    const next = await lookupUser(bob, address, "alice");
    assert.equal(next.kemOneTimePrekey?.id, 2000);
  } finally {
    await stopAll(alice.node, bob, carol, rendezvous);
  }
});

Deno.test("directory: KEM prekeys signed by another key are refused; a key change drops the KEM prekeys", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await userWithKey(address, "alice");
  const bob = await loggedInClient(address, "bob");
  const aliceNew = await clientNode();
  try {
    const keys = await prekeys(alice.key, [1]);
    const kemPrekeys = async (identity: PrivateKey): Promise<KemPrekeys> => ({
      lastResortPrekey: await kemKey(identity, PrekeyKind.KemLastResort, 7),
      oneTimePrekeys: await kemOneTime(identity, [1000]),
    });
    const mallory = await generateKeyPair("Ed25519");
    const refused = await remoteError(
      uploadPrekeys(alice.node, address, pqUpload(keys, await kemPrekeys(mallory))),
      Status.E_INVALID_SIGNATURE,
    );
    assert.match(refused.message, /KemLastResort key 7 is not signed by your identity key/);
    const nothing = await lookupUser(bob, address, "alice");
    assert.equal(nothing.signedPrekey, undefined, "nothing of the refused upload was stored");
    assert.equal(nothing.kemLastResortPrekey, undefined);

    const good = await uploadPrekeys(
      alice.node,
      address,
      pqUpload(keys, await kemPrekeys(alice.key)),
    );
    assert.equal(good.kemOneTime, 1);
    await login(aliceNew, address, "alice", "pw-alice", FAST);
    const found = await lookupUser(bob, address, "alice");
    assert.equal(found.kemLastResortPrekey, undefined, "signed by the old key: dropped");
    assert.equal(found.kemOneTimePrekey, undefined);
  } finally {
    await stopAll(alice.node, aliceNew, bob, rendezvous);
  }
});
