/** /tincan/account/1.0.0 against a real rendezvous: registration, login, throttling, key change. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { verifyCertificate, verifyKeyLog } from "../../src/crypto/statements.ts";
import { FramedStream } from "../../src/net/framed.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { fetchKeyLog, lookupUser } from "../../src/peer/clients/directory.ts";
import { AccountRequest, AccountResponse, Status } from "../../src/proto/services.ts";
import { FRAMES } from "../../src/protocol/limits.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import { FREE_FAILURES } from "../../src/rendezvous/throttle.ts";
import {
  assertBytes,
  clientNode,
  FAST,
  loggedInClient,
  ManualClock,
  remoteError,
  startRawLogin,
  stopAll,
  waitFor,
  withRendezvous,
} from "./harness.ts";

/** Sends one raw AccountRequest and returns the first response. */
async function rawAccountRequest(
  node: TincanNode,
  address: Multiaddr,
  request: AccountRequest,
): Promise<AccountResponse> {
  const stream = await node.dialProtocol(address, PROTOCOL.account);
  const framed = new FramedStream(stream, AccountResponse, AccountRequest, FRAMES.account);
  try {
    await framed.write(request);
    return await framed.read();
  } finally {
    await framed.close();
  }
}

Deno.test("accounts: register and log in; the certificate names the user and key", async () => {
  const { rendezvous, address } = await withRendezvous();
  const node = await clientNode();
  try {
    const registered = await registerAccount(node, address, "alice", "correct horse", FAST);
    const serverKey = rendezvous.node.peerId.publicKey!;
    const cert = await verifyCertificate(registered.certificate, serverKey, Date.now());
    assert.equal(cert.username, "alice");
    assertBytes(cert.identityKey, node.peerId.publicKey!.raw);
    assert.equal(cert.keyChanged, false);
    assert.equal(rendezvous.loggedIn.usernameOf(node.peerId.toString()), undefined);

    const loggedIn = await login(node, address, "alice", "correct horse", FAST);
    assert.equal(loggedIn.keyChanged, false);
    const loginCert = await verifyCertificate(loggedIn.certificate, serverKey, Date.now());
    assert.equal(loginCert.username, "alice");
    assert.equal(loginCert.keyLogLength, 1n);
    assert.equal(rendezvous.loggedIn.usernameOf(node.peerId.toString()), "alice");
  } finally {
    await stopAll(node, rendezvous);
  }
});

Deno.test("accounts: a username taken in any letter case is refused", async () => {
  const { rendezvous, address } = await withRendezvous();
  const first = await clientNode();
  const second = await clientNode();
  try {
    await registerAccount(first, address, "Alice", "pw-1", FAST);
    const err = await remoteError(
      registerAccount(second, address, "alice", "pw-2", FAST),
      Status.E_USERNAME_TAKEN,
    );
    assert.match(err.message, /alice is taken/);
    await remoteError(
      registerAccount(second, address, "ALICE", "pw-2", FAST),
      Status.E_USERNAME_TAKEN,
    );
    // The first registration still holds, under its folded name.
    await login(first, address, "ALICE", "pw-1", FAST);
    assert.equal(rendezvous.loggedIn.usernameOf(first.peerId.toString()), "alice");
  } finally {
    await stopAll(first, second, rendezvous);
  }
});

Deno.test("accounts: an invalid username is refused by the client and by the server", async () => {
  const { rendezvous, address } = await withRendezvous();
  const node = await clientNode();
  try {
    await assert.rejects(registerAccount(node, address, "al", "pw", FAST), RangeError);
    await assert.rejects(registerAccount(node, address, "al ice", "pw", FAST), RangeError);
    for (
      const [type, username] of [
        [AccountRequest.Type.REGISTER_START, "x"],
        [AccountRequest.Type.REGISTER_START, "bad name!"],
        [AccountRequest.Type.LOGIN_START, "a".repeat(33)],
      ] as const
    ) {
      const response = await rawAccountRequest(node, address, {
        type,
        username,
        opaqueMessage: "",
      });
      assert.equal(response.status, Status.E_INVALID_USERNAME);
      assert.match(response.statusText, /^Invalid username/);
    }
  } finally {
    await stopAll(node, rendezvous);
  }
});

Deno.test("accounts: a wrong password and an unknown user fail the same way", async () => {
  const { rendezvous, address } = await withRendezvous();
  const node = await clientNode();
  try {
    await registerAccount(node, address, "alice", "right", FAST);
    const wrong = await remoteError(
      login(node, address, "alice", "wrong", FAST),
      Status.E_LOGIN_FAILED,
    );
    const unknown = await remoteError(
      login(node, address, "nobody", "whatever", FAST),
      Status.E_LOGIN_FAILED,
    );
    assert.equal(
      wrong.message.replace("alice", "<user>"),
      unknown.message.replace("nobody", "<user>"),
    );
    assert.equal(wrong.retryAfterMs, undefined);
    assert.equal(unknown.retryAfterMs, undefined);
    assert.equal(rendezvous.loggedIn.size, 0);
  } finally {
    await stopAll(node, rendezvous);
  }
});

Deno.test("accounts: repeated failures are throttled until the wait is over", async () => {
  const clock = new ManualClock();
  const { rendezvous, address } = await withRendezvous({ now: clock.now });
  const node = await clientNode();
  try {
    await registerAccount(node, address, "alice", "right", FAST);
    // FREE_FAILURES failures are answered as such; the last of them starts a wait.
    for (let i = 0; i < FREE_FAILURES; i++) {
      await remoteError(login(node, address, "alice", "wrong", FAST), Status.E_LOGIN_FAILED);
    }
    const throttled = await remoteError(
      login(node, address, "alice", "wrong", FAST),
      Status.E_THROTTLED,
    );
    assert.ok(throttled.retryAfterMs !== undefined && throttled.retryAfterMs > 0);
    assert.match(throttled.message, /retry after \d{4}-\d\d-\d\dT[\d:.]+Z \(in \d+ s\)/);

    // The right password is refused too while the block lasts.
    await remoteError(login(node, address, "alice", "right", FAST), Status.E_THROTTLED);
    assert.equal(rendezvous.loggedIn.size, 0);

    clock.advance(throttled.retryAfterMs!);
    const ok = await login(node, address, "alice", "right", FAST);
    assert.equal(ok.username, "alice");
    assert.equal(rendezvous.loggedIn.usernameOf(node.peerId.toString()), "alice");
  } finally {
    await stopAll(node, rendezvous);
  }
});

Deno.test("accounts: a login from a new key is a key change, logged and certified", async () => {
  const { rendezvous, address } = await withRendezvous();
  const serverKey = rendezvous.node.peerId.publicKey!;
  const oldNode = await loggedInClient(address, "alice", "pw");
  const newNode = await clientNode();
  const watcher = await loggedInClient(address, "watcher");
  try {
    const serverPeer = rendezvous.node.peerId;
    assert.equal(oldNode.getConnections(serverPeer).length, 1);

    const result = await login(newNode, address, "alice", "pw", FAST);
    assert.equal(result.keyChanged, true);
    const cert = await verifyCertificate(result.certificate, serverKey, Date.now());
    assert.equal(cert.username, "alice");
    assert.equal(cert.keyChanged, true);
    assert.equal(cert.keyLogLength, 2n);
    assertBytes(cert.identityKey, newNode.peerId.publicKey!.raw);

    const log = await verifyKeyLog(
      (await fetchKeyLog(watcher, address, "alice")).statements,
      "alice",
      serverKey,
    );
    assert.equal(log.length, 2);
    assertBytes(log[0]!.identityKey, oldNode.peerId.publicKey!.raw);
    assertBytes(log[1]!.identityKey, newNode.peerId.publicKey!.raw);

    // The old device's session ended and the rendezvous hung up on it.
    assert.equal(rendezvous.loggedIn.usernameOf(oldNode.peerId.toString()), undefined);
    assert.equal(rendezvous.loggedIn.usernameOf(newNode.peerId.toString()), "alice");
    await waitFor(
      "the rendezvous to hang up on the old device",
      () => oldNode.getConnections(serverPeer).length === 0,
    );

    // Logging in again from the new key is not another change.
    const again = await login(newNode, address, "alice", "pw", FAST);
    assert.equal(again.keyChanged, false);
  } finally {
    await stopAll(oldNode, newNode, watcher, rendezvous);
  }
});

Deno.test("accounts: an identity key bound to one account cannot take another", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await clientNode(await generateKeyPair("Ed25519"));
  const bob = await loggedInClient(address, "bob", "pw-bob");
  try {
    await registerAccount(alice, address, "alice", "pw-alice", FAST);
    const err = await remoteError(
      registerAccount(alice, address, "alice2", "pw", FAST),
      Status.E_NOT_AUTHORIZED,
    );
    assert.match(err.message, /already belongs to another account/);

    // Nor can bob's key move to alice's account through a key change.
    await remoteError(login(bob, address, "alice", "pw-alice", FAST), Status.E_NOT_AUTHORIZED);
    assert.equal(rendezvous.loggedIn.usernameOf(bob.peerId.toString()), "bob");
    assert.equal(rendezvous.loggedIn.byUsername("alice"), undefined);
    const aliceLog = (await fetchKeyLog(bob, address, "alice")).statements;
    assert.equal(aliceLog.length, 1);
    await remoteError(fetchKeyLog(bob, address, "alice2"), Status.E_NOT_FOUND);
  } finally {
    await stopAll(alice, bob, rendezvous);
  }
});

Deno.test("accounts: a restarted rendezvous keeps its PeerId, accounts and key logs", async () => {
  const first = await withRendezvous();
  const serverKey = first.rendezvous.node.peerId.publicKey!;
  const peerId = first.rendezvous.node.peerId.toString();
  const alice = await clientNode();
  const aliceNew = await clientNode();
  let second: Awaited<ReturnType<typeof withRendezvous>> | undefined;
  try {
    await registerAccount(alice, first.address, "alice", "pw", FAST);
    await login(aliceNew, first.address, "alice", "pw", FAST); // a key change: two log entries
    await first.rendezvous.stop();
    // The restarted rendezvous has the same PeerId: let the client drop the dead connection
    // first, or libp2p reuses it for the new address.
    await waitFor(
      "the client to see the rendezvous go",
      () => aliceNew.getConnections(first.rendezvous.node.peerId).length === 0,
    );

    second = await withRendezvous({ dataDir: first.dataDir });
    assert.equal(second.rendezvous.node.peerId.toString(), peerId);
    const result = await login(aliceNew, second.address, "alice", "pw", FAST);
    assert.equal(result.keyChanged, false);
    await verifyCertificate(result.certificate, serverKey, Date.now());
    const log = await verifyKeyLog(
      (await fetchKeyLog(aliceNew, second.address, "alice")).statements,
      "alice",
      serverKey,
    );
    assert.deepEqual(log.map((e) => e.seq), [0n, 1n]);
    assertBytes(log[1]!.identityKey, aliceNew.peerId.publicKey!.raw);
    await remoteError(
      registerAccount(alice, second.address, "ALICE", "other", FAST),
      Status.E_USERNAME_TAKEN,
    );
  } finally {
    await stopAll(alice, aliceNew, first.rendezvous, second?.rendezvous);
  }
});

Deno.test("accounts: guesses started in parallel are throttled like guesses in a row", async () => {
  const { rendezvous, address } = await withRendezvous();
  const owner = await clientNode();
  const attackers = await Promise.all([clientNode(), clientNode(), clientNode()]);
  try {
    await registerAccount(owner, address, "alice", "right", FAST);
    // Four account streams per connection, three connections: twelve guesses at once.
    const attempts = await Promise.all(
      attackers.flatMap((node) =>
        Array.from({ length: 4 }, () => startRawLogin(node, address, "alice", "wrong"))
      ),
    );
    const answered = attempts.filter((a) => a.response.status === Status.OK);
    const throttled = attempts.filter((a) => a.response.status === Status.E_THROTTLED);
    assert.equal(answered.length, FREE_FAILURES, "only the free failures get an OPAQUE answer");
    assert.equal(throttled.length, attempts.length - FREE_FAILURES);
    for (const t of throttled) assert.ok(t.response.retryAfterMs > 0n);
    for (const a of answered) assert.equal((await a.finish()).status, Status.E_LOGIN_FAILED);
    await Promise.all(throttled.map((t) => t.close()));
    // The failures counted: even the right password waits now.
    await remoteError(login(owner, address, "alice", "right", FAST), Status.E_THROTTLED);
  } finally {
    await stopAll(owner, ...attackers, rendezvous);
  }
});

Deno.test("accounts: a login overtaken by a key change binds its key again, consistently", async () => {
  const { rendezvous, address } = await withRendezvous();
  const serverKey = rendezvous.node.peerId.publicKey!;
  const oldNode = await clientNode();
  const newNode = await clientNode();
  const watcher = await loggedInClient(address, "watcher");
  try {
    await registerAccount(oldNode, address, "alice", "pw", FAST);
    // Both logins start while the account is bound to the old key ...
    const fromOld = await startRawLogin(oldNode, address, "alice", "pw");
    const fromNew = await startRawLogin(newNode, address, "alice", "pw");
    // ... the new key finishes first (a key change), then the old key finishes.
    const changed = await fromNew.finish();
    assert.equal(changed.status, Status.OK);
    assert.equal(changed.keyChanged, true);
    const back = await fromOld.finish();
    assert.equal(back.status, Status.OK, back.statusText);
    assert.equal(back.keyChanged, true, "binding the old key again is a key change too");

    // Certificate, key log and session all name the old key.
    const cert = await verifyCertificate(back.certificate, serverKey, Date.now());
    assertBytes(cert.identityKey, oldNode.peerId.publicKey!.raw);
    const log = await verifyKeyLog(
      (await fetchKeyLog(watcher, address, "alice")).statements,
      "alice",
      serverKey,
    );
    assert.equal(log.length, 3);
    assert.equal(cert.keyLogLength, 3n);
    assertBytes(log.at(-1)!.identityKey, oldNode.peerId.publicKey!.raw);
    const looked = await verifyCertificate(
      (await lookupUser(watcher, address, "alice")).certificate,
      serverKey,
      Date.now(),
    );
    assertBytes(looked.identityKey, oldNode.peerId.publicKey!.raw);
    assert.equal(rendezvous.loggedIn.byUsername("alice")?.peerId, oldNode.peerId.toString());
  } finally {
    await stopAll(oldNode, newNode, watcher, rendezvous);
  }
});

Deno.test("accounts: every file in the data directory is owner-only, WAL files included", async () => {
  const { rendezvous, address, dataDir } = await withRendezvous();
  const node = await clientNode();
  try {
    await registerAccount(node, address, "alice", "pw", FAST); // something in the WAL
    const names: string[] = [];
    for await (const entry of Deno.readDir(dataDir)) names.push(entry.name);
    assert.ok(names.includes("rendezvous.db-wal"), `no WAL file among ${names}`);
    for (const name of names) {
      const mode = (await Deno.stat(`${dataDir}/${name}`)).mode! & 0o777;
      assert.equal(mode.toString(8), "600", `${name} is readable by others`);
    }
    assert.equal(((await Deno.stat(dataDir)).mode! & 0o777).toString(8), "700");
  } finally {
    await stopAll(node, rendezvous);
  }
});
