/**
 * /rendezvous/1.0.0 on an in-memory stream pair: REGISTER, DISCOVER with cookies and UNREGISTER
 * on one stream, and the refusals (not logged in, foreign or oversize peer records, TTLs and
 * namespaces out of bounds, bad cookies, bad and oversize frames).
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import assert from "node:assert/strict";
import { ProtocolError } from "../../src/errors.ts";
import { openPeerRecord, sealPeerRecord } from "../../src/net/peer_record.ts";
import { Message } from "../../src/proto/rendezvous.ts";
import {
  DEFAULT_TTL_SECONDS,
  FRAMES,
  MAX_NAMESPACE_BYTES,
  MAX_PEER_RECORD_BYTES,
  MAX_TTL_SECONDS,
} from "../../src/protocol/limits.ts";
import { LoggedInUsers, type PresenceChange } from "../../src/rendezvous/logged_in_users.ts";
import { RegistrationTable } from "../../src/rendezvous/registrations.ts";
import { rendezvousProtocol } from "../../src/rendezvous/rendezvous_protocol.ts";
import { Metrics } from "../../src/rendezvous/metrics.ts";
import {
  assertResetBy,
  memoryLog,
  serve,
  type TestCaller,
  testCaller,
  TYPE_99_FRAME,
} from "./protocol_harness.ts";

const NOW = 1_700_000_000_000;
const NS = "tincan";
const Status = Message.ResponseStatus;
const { REGISTER, UNREGISTER, DISCOVER } = Message.MessageType;

function rendezvous() {
  const table = new RegistrationTable();
  const loggedIn = new LoggedInUsers();
  const handler = rendezvousProtocol({
    table,
    loggedIn,
    log: memoryLog(),
    now: () => NOW,
    metrics: new Metrics(() => NOW),
  });
  const member = async (username: string) => {
    const caller = await testCaller();
    loggedIn.login(username, caller.peerId, NOW);
    return caller;
  };
  const open = async (caller: TestCaller) => {
    const served = await serve(handler, caller, Message, Message);
    const send = (message: Message) => served.client.write(message);
    const register = async (signedPeerRecord: Uint8Array, ttl = 0n, ns = NS) => {
      await send({ type: REGISTER, register: { ns, signedPeerRecord, ttl } });
      const response = (await served.client.read()).registerResponse;
      assert.ok(response, "a REGISTER_RESPONSE");
      return response;
    };
    const discover = async (ns = NS, cookie: Uint8Array = new Uint8Array(0)) => {
      await send({ type: DISCOVER, discover: { ns, limit: 0n, cookie } });
      const response = (await served.client.read()).discoverResponse;
      assert.ok(response, "a DISCOVER_RESPONSE");
      return response;
    };
    const end = async () => {
      await served.client.close();
      await served.done;
    };
    return { ...served, send, register, discover, end };
  };
  return { table, loggedIn, handler, member, open };
}

async function record(caller: TestCaller, seq = 1n): Promise<Uint8Array> {
  return await sealPeerRecord(caller.key, ["/ip4/192.0.2.7/tcp/4001"], seq);
}

Deno.test("rendezvous: register, discover with cookies, unregister, all on one stream", async () => {
  const r = rendezvous();
  const alice = await r.member("alice");
  const bob = await r.member("bob");
  const announced: PresenceChange[] = [];
  r.loggedIn.subscribe((change) => announced.push(change));

  const aliceStream = await r.open(alice);
  const registered = await aliceStream.register(await record(alice));
  assert.equal(registered.status, Status.OK, registered.statusText);
  assert.equal(registered.ttl, BigInt(DEFAULT_TTL_SECONDS));
  assert.deepEqual(
    announced.map((c) => [c.username, c.online]),
    [["alice", true]],
    "a registration announces the user again (others may wait for its addresses)",
  );

  const bobStream = await r.open(bob);
  const found = await bobStream.discover();
  assert.equal(found.status, Status.OK);
  assert.equal(found.registrations.length, 1);
  const [registration] = found.registrations;
  assert.equal(
    (await openPeerRecord(registration!.signedPeerRecord)).peerId.toString(),
    alice.peerId,
  );
  assert.equal(registration!.ttl, BigInt(DEFAULT_TTL_SECONDS));
  assert.deepEqual((await bobStream.discover(NS, found.cookie)).registrations, [], "nothing new");

  await aliceStream.send({ type: UNREGISTER, unregister: { ns: NS } });
  const afterUnregister = await aliceStream.discover(); // UNREGISTER has no answer: this is next
  assert.deepEqual(afterUnregister.registrations, []);
  await aliceStream.end();
  await bobStream.end();
});

Deno.test("rendezvous: a peer that is not logged in cannot register or discover", async () => {
  const r = rendezvous();
  const alice = await r.member("alice");
  const aliceStream = await r.open(alice);
  await aliceStream.register(await record(alice));

  const stranger = await testCaller();
  const strangerStream = await r.open(stranger);
  const register = await strangerStream.register(await record(stranger));
  assert.equal(register.status, Status.E_NOT_AUTHORIZED);
  assert.equal(register.statusText, "log in first");
  await strangerStream.send({ type: UNREGISTER, unregister: { ns: NS } }); // ignored, unanswered
  const discover = await strangerStream.discover();
  assert.equal(discover.status, Status.E_NOT_AUTHORIZED);
  assert.deepEqual(discover.registrations, []);
  assert.equal(r.table.registrationsOf(stranger.peerId).length, 0);
  assert.equal(r.table.registrationsOf(alice.peerId).length, 1);
  await strangerStream.end();
  await aliceStream.end();
});

Deno.test("rendezvous: foreign, empty and oversize records, bad TTLs, namespaces and cookies are refused", async () => {
  const r = rendezvous();
  const alice = await r.member("alice");
  const stream = await r.open(alice);
  const other = await testCaller(await generateKeyPair("Ed25519"));
  const foreign = await stream.register(await record(other));
  assert.equal(foreign.status, Status.E_INVALID_SIGNED_PEER_RECORD);
  assert.equal(
    (await stream.register(new Uint8Array(0))).status,
    Status.E_INVALID_SIGNED_PEER_RECORD,
  );
  const oversize = await stream.register(new Uint8Array(MAX_PEER_RECORD_BYTES + 1));
  assert.equal(oversize.status, Status.E_INVALID_SIGNED_PEER_RECORD);
  assert.match(oversize.statusText, /1\.\.4096 bytes/);
  assert.equal(
    (await stream.register(Uint8Array.of(1, 2, 3))).status,
    Status.E_INVALID_SIGNED_PEER_RECORD,
  );
  const good = await record(alice);
  assert.equal((await stream.register(good, 60n)).status, Status.E_INVALID_TTL);
  assert.equal(
    (await stream.register(good, BigInt(MAX_TTL_SECONDS + 1))).status,
    Status.E_INVALID_TTL,
  );
  assert.equal((await stream.register(good, 2n ** 40n)).status, Status.E_INVALID_TTL);
  const longName = "n".repeat(MAX_NAMESPACE_BYTES + 1);
  assert.equal((await stream.register(good, 0n, longName)).status, Status.E_INVALID_NAMESPACE);
  assert.equal((await stream.register(good, 0n, "")).status, Status.E_INVALID_NAMESPACE);
  assert.equal((await stream.discover(NS, Uint8Array.of(9, 9))).status, Status.E_INVALID_COOKIE);

  await stream.send({ type: REGISTER });
  const missing = (await stream.client.read()).registerResponse;
  assert.equal(missing?.status, Status.E_INTERNAL_ERROR);
  await stream.send({ type: Message.MessageType.REGISTER_RESPONSE });
  const unexpected = (await stream.client.read()).registerResponse;
  assert.equal(unexpected?.status, Status.E_INTERNAL_ERROR);
  assert.match(unexpected?.statusText ?? "", /unexpected message type REGISTER_RESPONSE/);
  assert.equal(r.table.registrationsOf(alice.peerId).length, 0, "nothing was registered");
  await stream.end();
});

Deno.test("rendezvous: bad and oversize frames reset the stream", async () => {
  const r = rendezvous();
  const alice = await r.member("alice");
  const garbage = await r.open(alice);
  await assertResetBy(garbage, TYPE_99_FRAME);

  const oversize = await r.open(alice);
  await oversize.register(new Uint8Array(FRAMES.rendezvous.maxFrameBytes)).catch(() => {});
  await assert.rejects(oversize.done, ProtocolError);
  assert.equal(r.table.registrationsOf(alice.peerId).length, 0);
});
