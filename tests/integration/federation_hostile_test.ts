/**
 * A hostile federated node: a real libp2p node that `home` lists as `work`, answering home's
 * federation requests with tampered data — a certificate signed by home (a user work does not
 * home), a certificate for another user, one signed by some other key, a prekey its user did not
 * sign, a one-time prekey it already handed out (a replay), a key log in another's name. Home
 * must refuse each (E_REMOTE_INVALID, logged and counted) and never pass it to its peer; what
 * work answers rightly still goes through. And a node that takes the stream and never answers.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey, Stream } from "@libp2p/interface";
import assert from "node:assert/strict";
import { PrekeyKind, signPrekey } from "../../src/crypto/prekeys.ts";
import { RemoteError } from "../../src/errors.ts";
import { lookupUser } from "../../src/peer/clients/directory.ts";
import { issueCertificate, signKeyLogEntry } from "../../src/crypto/statements.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { FederationRequest, FederationStatus } from "../../src/proto/federation.ts";
import { DirectoryRequest, DirectoryResponse, Status } from "../../src/proto/services.ts";
import { FEDERATION_REQUEST_DEADLINE_MS, FRAMES } from "../../src/protocol/limits.ts";
import { federationResponse } from "../../src/rendezvous/federation/federation_response.ts";
import { directoryResponse } from "../../src/rendezvous/user_directory.ts";
import {
  askDirectory,
  federationAnswers,
  homeListingStandIn,
  standInNode,
} from "./federation_helpers.ts";
import { loggedInClient, stopAll } from "./harness.ts";

/** What the hostile node answers a LOOKUP of `username` with. */
type Forge = (username: string) => Promise<DirectoryResponse>;

const EMPTY_FEDERATION = federationResponse(FederationStatus.OK, "", { name: "work" });
const EMPTY_DIRECTORY = directoryResponse(Status.OK);

function certificateFor(username: string, identityKey: Uint8Array, signer: PrivateKey) {
  const now = Date.now();
  return issueCertificate({
    username,
    identityKey,
    issuedAt: BigInt(now),
    expiresAt: BigInt(now + 3_600_000),
    keyChanged: false,
    keyLogLength: 1n,
  }, signer);
}

/** A node listening on `port` with `key`, answering federation requests with `forge`. */
async function hostileNode(
  key: PrivateKey,
  port: number,
  forge: { current: Forge; keyLog: (username: string) => Promise<Uint8Array[]> },
): Promise<TincanNode> {
  return await standInNode(
    key,
    port,
    "hostile",
    federationAnswers(async (request) => {
      if (request.type === FederationRequest.Type.LOOKUP) {
        return {
          ...EMPTY_FEDERATION,
          bundle: DirectoryResponse.encode(await forge.current(request.username)),
        };
      }
      if (request.type === FederationRequest.Type.KEY_LOG) {
        return { ...EMPTY_FEDERATION, keyLog: await forge.keyLog(request.username) };
      }
      return EMPTY_FEDERATION;
    }),
  );
}

Deno.test("federation: a hostile remote's forged bundles and key logs never reach home's peer", async () => {
  const { home, homeNode, workKey, port } = await homeListingStandIn();
  const alice = await loggedInClient(home.address, "alice");
  const bobKey = await generateKeyPair("Ed25519");
  const stranger = await generateKeyPair("Ed25519");
  const bob = bobKey.publicKey.raw;
  const honest: Forge = async (username) => ({
    ...EMPTY_DIRECTORY,
    certificate: await certificateFor(username, bob, workKey),
    signedPrekey: await signPrekey(PrekeyKind.Signed, 1, new Uint8Array(32).fill(1), bobKey),
  });
  const forge = {
    current: honest,
    keyLog: async (username: string) => [
      await signKeyLogEntry({
        username,
        seq: 0n,
        identityKey: bob,
        at: BigInt(Date.now()),
        previousHash: new Uint8Array(0),
      }, workKey),
    ],
  };
  const work = await hostileNode(workKey, port, forge);
  const lookup = (username: string) =>
    askDirectory(alice, home.address, {
      type: DirectoryRequest.Type.LOOKUP,
      username,
      server: "work",
    });
  try {
    const fine = await lookup("bob");
    assert.equal(fine.status, Status.OK, fine.statusText);
    assert.ok(fine.vouch);

    // One-time prekeys, each handed out once — until the node replays one it already handed out.
    let next = 100;
    const oneTime = (id: number) =>
      signPrekey(PrekeyKind.OneTime, id, new Uint8Array(32).fill(id), bobKey);
    forge.current = async (username) => ({
      ...(await honest(username)),
      oneTimePrekey: await oneTime(next++),
    });
    const first = await lookup("bob");
    assert.equal(first.status, Status.OK, first.statusText);
    assert.equal((await lookup("bob")).status, Status.OK, "a fresh one-time prekey is fine");

    const aliceAtHome = await askDirectory(alice, home.address, {
      type: DirectoryRequest.Type.LOOKUP,
      username: "alice",
      withoutOneTimePrekey: true,
    });
    const attacks: [string, Forge, RegExp][] = [
      [
        "home's certificate of alice, replayed as alice@work (a user work does not home)",
        () => Promise.resolve({ ...EMPTY_DIRECTORY, certificate: aliceAtHome.certificate }),
        /does not verify/,
      ],
      [
        "a certificate for another user",
        async () => ({
          ...EMPTY_DIRECTORY,
          certificate: await certificateFor("mallory", bob, workKey),
        }),
        /with a certificate for mallory/,
      ],
      [
        "a certificate signed by a key that is not work's",
        async (username) => ({
          ...EMPTY_DIRECTORY,
          certificate: await certificateFor(username, bob, stranger),
        }),
        /does not verify/,
      ],
      [
        "a one-time prekey bob did not sign",
        async (username) => ({
          ...(await honest(username)),
          oneTimePrekey: await signPrekey(PrekeyKind.OneTime, 7, new Uint8Array(32), stranger),
        }),
        /OneTime key not signed by bob/,
      ],
      [
        "a one-time prekey work already handed out (a replay)",
        async (username) => ({ ...(await honest(username)), oneTimePrekey: await oneTime(100) }),
        /replayed a OneTime prekey of bob it already handed out/,
      ],
      [
        "a bundle that is not OK",
        async (username) => ({ ...(await honest(username)), status: Status.E_NOT_FOUND }),
        /status E_NOT_FOUND/,
      ],
    ];
    for (const [what, attack, message] of attacks) {
      forge.current = attack;
      const answer = await lookup("bob");
      assert.equal(answer.status, Status.E_REMOTE_INVALID, what);
      assert.match(answer.statusText, message, what);
      assert.equal(answer.certificate.length, 0, `${what}: nothing of it reaches alice`);
      assert.equal(answer.vouch, undefined, what);
    }
    assert.equal(homeNode.metrics.value("federation_invalid"), attacks.length);
    assert.equal(homeNode.federation.nodes()[0]?.refused, attacks.length, "work's tally");

    forge.keyLog = async () => [
      await signKeyLogEntry({
        username: "mallory",
        seq: 0n,
        identityKey: bob,
        at: BigInt(Date.now()),
        previousHash: new Uint8Array(0),
      }, workKey),
    ];
    const log = await askDirectory(alice, home.address, {
      type: DirectoryRequest.Type.KEY_LOG,
      username: "bob",
      server: "work",
    });
    assert.equal(log.status, Status.E_REMOTE_INVALID);
    assert.deepEqual(log.keyLog, []);
  } finally {
    await stopAll(alice, work, homeNode);
  }
});

Deno.test("federation: a remote that takes the stream and never answers is E_REMOTE_UNAVAILABLE before the peer's read timeout", async () => {
  const { home, homeNode, workKey, port } = await homeListingStandIn();
  const alice = await loggedInClient(home.address, "alice");
  const held: Stream[] = [];
  // Reads nothing and answers nothing: a remote that drops what it is sent.
  const work = await standInNode(workKey, port, "silent", (stream: Stream) => {
    held.push(stream);
  });
  try {
    // The peer's own directory client, with the peer's read timeout (FRAMES.directory).
    const started = performance.now();
    const refused = await lookupUser(alice, home.address, "bob", { server: "work" }).then(
      () => assert.fail("a lookup at a silent remote cannot succeed"),
      (err: unknown) => err,
    );
    const took = performance.now() - started;
    assert.ok(refused instanceof RemoteError, String(refused));
    assert.equal(refused.status, "E_REMOTE_UNAVAILABLE", refused.message);
    assert.match(
      refused.message,
      new RegExp(`no answer within ${FEDERATION_REQUEST_DEADLINE_MS} ms`),
    );
    assert.ok(took < FRAMES.directory.readTimeoutMs - 2_000, `answered after ${took} ms`);
    const servers = await askDirectory(alice, home.address, {
      type: DirectoryRequest.Type.SERVERS,
    });
    assert.match(servers.servers[0]?.lastError ?? "", /no answer within/);
  } finally {
    for (const stream of held) stream.abort(new Error("test over"));
    await stopAll(alice, work, homeNode);
  }
});
