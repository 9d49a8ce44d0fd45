/** /rendezvous/1.0.0 against a real rendezvous, through DiscoveryClient. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { openPeerRecord, sealPeerRecord } from "../../src/net/peer_record.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { DiscoveryClient } from "../../src/peer/clients/discovery.ts";
import { Message } from "../../src/proto/rendezvous.ts";
import {
  DEFAULT_TTL_SECONDS,
  MAX_NAMESPACE_BYTES,
  MAX_TTL_SECONDS,
} from "../../src/protocol/limits.ts";
import {
  clientNode,
  FAST,
  ManualClock,
  remoteError,
  stopAll,
  waitFor,
  withRendezvous,
} from "./harness.ts";

const Status = Message.ResponseStatus;
const NS = "tincan/chat";

/** A logged-in user: its node, its key (to seal peer records) and its discovery session. */
interface User {
  readonly node: TincanNode;
  readonly key: PrivateKey;
  readonly discovery: DiscoveryClient;
  record(seq?: bigint): Promise<Uint8Array>;
  stop(): Promise<void>;
}

async function user(address: Multiaddr, username: string, logIn = true): Promise<User> {
  const key = await generateKeyPair("Ed25519");
  const node = await clientNode(key);
  try {
    if (logIn) {
      await registerAccount(node, address, username, "pw", FAST);
      await login(node, address, username, "pw", FAST);
    }
    const discovery = await DiscoveryClient.open(node, address);
    return {
      node,
      key,
      discovery,
      record: (seq = 1n) => sealPeerRecord(key, [`/ip4/127.0.0.1/tcp/${4000 + Number(seq)}`], seq),
      stop: async () => {
        await discovery.close().catch(() => {});
        await node.stop();
      },
    };
  } catch (err: unknown) {
    await node.stop();
    throw err;
  }
}

async function peersIn(
  client: DiscoveryClient,
  ns: string,
  cookie?: Uint8Array,
): Promise<{ peers: string[]; cookie: Uint8Array }> {
  const result = await client.discover(ns, 0, cookie);
  const peers = await Promise.all(
    result.registrations.map(async (r) => (await openPeerRecord(r.signedPeerRecord)).peerId),
  );
  return { peers: peers.map(String).sort(), cookie: result.cookie };
}

Deno.test("discovery: REGISTER and DISCOVER need a logged-in peer", async () => {
  const { rendezvous, address } = await withRendezvous();
  const stranger = await user(address, "stranger", false);
  try {
    const err = await remoteError(
      stranger.discovery.register(NS, await stranger.record()),
      Status.E_NOT_AUTHORIZED,
    );
    assert.match(err.message, /log in first/);
    await remoteError(stranger.discovery.discover(NS), Status.E_NOT_AUTHORIZED);
  } finally {
    await stopAll(stranger, rendezvous);
  }
});

Deno.test("discovery: register, discover, and cookies that return only what is new", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await user(address, "alice");
  const bob = await user(address, "bob");
  try {
    assert.equal(await alice.discovery.register(NS, await alice.record()), DEFAULT_TTL_SECONDS);
    const first = await peersIn(bob.discovery, NS);
    assert.deepEqual(first.peers, [alice.node.peerId.toString()]);
    const [registration] = (await bob.discovery.discover(NS)).registrations;
    assert.equal(registration?.ns, NS);
    assert.equal(registration?.ttlSeconds, DEFAULT_TTL_SECONDS);
    const opened = await openPeerRecord(registration!.signedPeerRecord, alice.node.peerId);
    assert.deepEqual(opened.multiaddrs.map(String), ["/ip4/127.0.0.1/tcp/4001"]);

    const none = await peersIn(bob.discovery, NS, first.cookie);
    assert.deepEqual(none.peers, []);

    assert.equal(
      await bob.discovery.register(NS, await bob.record(), MAX_TTL_SECONDS),
      MAX_TTL_SECONDS,
    );
    const onlyBob = await peersIn(alice.discovery, NS, none.cookie);
    assert.deepEqual(onlyBob.peers, [bob.node.peerId.toString()]);
    assert.deepEqual((await peersIn(alice.discovery, NS, onlyBob.cookie)).peers, []);

    // A refresh is new again; other namespaces are separate; "" lists every namespace.
    await alice.discovery.register(NS, await alice.record(2n));
    assert.deepEqual(
      (await peersIn(bob.discovery, NS, onlyBob.cookie)).peers,
      [alice.node.peerId.toString()],
    );
    await alice.discovery.register("elsewhere", await alice.record(2n));
    assert.deepEqual((await peersIn(bob.discovery, "nobody-here")).peers, []);
    const all = await bob.discovery.discover("");
    assert.equal(all.registrations.length, 3);

    // A limit pages through with cookies.
    const page = await bob.discovery.discover(NS, 1);
    assert.equal(page.registrations.length, 1);
    const rest = await bob.discovery.discover(NS, 1, page.cookie);
    assert.equal(rest.registrations.length, 1);
    assert.notDeepEqual(rest.registrations[0], page.registrations[0]);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("discovery: the spec's refusals", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await user(address, "alice");
  const mallory = await generateKeyPair("Ed25519");
  try {
    const record = await alice.record(5n);
    const d = alice.discovery;
    await remoteError(d.register(NS, record, 60), Status.E_INVALID_TTL);
    await remoteError(d.register(NS, record, 73 * 60 * 60), Status.E_INVALID_TTL);
    await remoteError(d.register(NS, record, 2 ** 40), Status.E_INVALID_TTL);

    const longNs = "n".repeat(MAX_NAMESPACE_BYTES + 1);
    await remoteError(d.register(longNs, record), Status.E_INVALID_NAMESPACE);
    await remoteError(d.discover(longNs), Status.E_INVALID_NAMESPACE);
    await remoteError(d.register("", record), Status.E_INVALID_NAMESPACE);
    // 255 bytes of UTF-8 is the limit, not 255 characters.
    await remoteError(d.register("é".repeat(128), record), Status.E_INVALID_NAMESPACE);
    assert.equal(await d.register("n".repeat(MAX_NAMESPACE_BYTES), record), DEFAULT_TTL_SECONDS);

    await remoteError(d.discover(NS, 0, new Uint8Array([1, 2, 3])), Status.E_INVALID_COOKIE);
    const otherNs = (await d.discover("other")).cookie;
    await remoteError(d.discover(NS, 0, otherNs), Status.E_INVALID_COOKIE);

    const forged = await sealPeerRecord(mallory, ["/ip4/127.0.0.1/tcp/1"], 9n);
    await remoteError(d.register(NS, forged), Status.E_INVALID_SIGNED_PEER_RECORD);
    await remoteError(d.register(NS, new Uint8Array(0)), Status.E_INVALID_SIGNED_PEER_RECORD);
    await remoteError(
      d.register(NS, crypto.getRandomValues(new Uint8Array(64))),
      Status.E_INVALID_SIGNED_PEER_RECORD,
    );
    const tampered = record.slice();
    tampered[tampered.length - 1]! ^= 1;
    await remoteError(d.register(NS, tampered), Status.E_INVALID_SIGNED_PEER_RECORD);

    // An older record is a replay; the same or a newer one is fine.
    await d.register(NS, record);
    await remoteError(d.register(NS, await alice.record(4n)), Status.E_INVALID_SIGNED_PEER_RECORD);
    await d.register(NS, record);
    await d.register(NS, await alice.record(6n));

    // After all of that the stream still works and holds only the good registrations.
    const mine = await d.discover(NS);
    assert.equal(mine.registrations.length, 1);
    const opened = await openPeerRecord(mine.registrations[0]!.signedPeerRecord);
    assert.equal(opened.seq, 6n);
  } finally {
    await stopAll(alice, rendezvous);
  }
});

Deno.test("discovery: UNREGISTER removes a registration", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await user(address, "alice");
  const bob = await user(address, "bob");
  try {
    await alice.discovery.register(NS, await alice.record());
    await alice.discovery.register("other", await alice.record());
    await bob.discovery.register(NS, await bob.record());
    await alice.discovery.unregister(NS);
    await alice.discovery.unregister("never-registered"); // a no-op, no answer
    assert.deepEqual((await peersIn(alice.discovery, NS)).peers, [bob.node.peerId.toString()]);
    assert.deepEqual((await peersIn(bob.discovery, "other")).peers, [
      alice.node.peerId.toString(),
    ]);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("discovery: registrations expire after their TTL", async () => {
  const clock = new ManualClock();
  const { rendezvous, address } = await withRendezvous({ now: clock.now });
  const alice = await user(address, "alice");
  const bob = await user(address, "bob");
  try {
    await alice.discovery.register(NS, await alice.record(), DEFAULT_TTL_SECONDS);
    await bob.discovery.register(NS, await bob.record(), 3 * 60 * 60);
    clock.advance(DEFAULT_TTL_SECONDS * 1000 - 1000);
    const before = await bob.discovery.discover(NS);
    assert.equal(before.registrations.length, 2);
    const ttls = before.registrations.map((r) => r.ttlSeconds).sort((a, b) => a - b);
    assert.deepEqual(ttls, [1, 60 * 60 + 1]);

    clock.advance(1000);
    assert.deepEqual((await peersIn(bob.discovery, NS)).peers, [bob.node.peerId.toString()]);
    clock.advance(60 * 60 * 1000);
    assert.deepEqual((await peersIn(bob.discovery, NS)).peers, []);

    // Registering again after expiry works.
    await alice.discovery.register(NS, await alice.record(2n));
    assert.deepEqual((await peersIn(bob.discovery, NS)).peers, [alice.node.peerId.toString()]);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("discovery: a peer's registrations go when it disconnects", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await user(address, "alice");
  const bob = await user(address, "bob");
  try {
    await alice.discovery.register(NS, await alice.record());
    await alice.discovery.register("other", await alice.record());
    await bob.discovery.register(NS, await bob.record());
    assert.equal((await peersIn(bob.discovery, NS)).peers.length, 2);

    await alice.stop();
    await waitFor("alice's registrations to be removed", async () => {
      const { peers } = await peersIn(bob.discovery, "");
      return peers.length === 1 && peers[0] === bob.node.peerId.toString();
    });
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});
