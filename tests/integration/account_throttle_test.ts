/**
 * The account throttle against a real rendezvous, mounting the attacks it stops: an attacker at
 * one address (127.0.0.1) and the real user at another (::1).
 */
import * as opaque from "@serenity-kit/opaque";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import assert from "node:assert/strict";
import { FramedStream } from "../../src/net/framed.ts";
import { login, registerAccount } from "../../src/peer/clients/account.ts";
import { AccountRequest, AccountResponse, Status } from "../../src/proto/services.ts";
import { FRAMES } from "../../src/protocol/limits.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import {
  PAIR_FREE_FAILURES,
  REGISTRATION_FREE_PROBES,
} from "../../src/rendezvous/account_throttle.ts";
import type { TincanNode } from "../../src/net/node.ts";
import { FINISH_TIMEOUT_MS } from "../../src/rendezvous/constants.ts";
import { clientNode, FAST, remoteError, stopAll, withRendezvous } from "./harness.ts";

/** A rendezvous on 127.0.0.1 and ::1 whose reads time out after `readTimeoutMs`. */
async function twoAddressRendezvous(readTimeoutMs = 10_000) {
  const started = await withRendezvous({
    listen: ["/ip4/127.0.0.1/tcp/0", "/ip6/::1/tcp/0"],
    readTimeoutMs,
  });
  const at = (family: string): Multiaddr =>
    multiaddr(started.rendezvous.multiaddrs().find((a) => a.startsWith(`/${family}/`))!);
  return { rendezvous: started.rendezvous, v4: at("ip4"), v6: at("ip6") };
}

/** Sends LOGIN_START, reads the server's OPAQUE answer, then stalls until the server gives up. */
async function stalledLogin(node: TincanNode, address: Multiaddr, username: string) {
  await opaque.ready;
  const stream = await node.dialProtocol(address, PROTOCOL.account);
  const framed = new FramedStream(stream, AccountResponse, AccountRequest, FRAMES.account);
  const start = opaque.client.startLogin({ password: "a guess" });
  await framed.write({
    type: AccountRequest.Type.LOGIN_START,
    username,
    opaqueMessage: start.startLoginRequest,
  });
  const answer = await framed.read();
  assert.equal(answer.status, Status.OK, "the server answered: the guess can be tested offline");
  await assert.rejects(framed.read(), "the server resets the stalled login");
}

Deno.test("account throttle: five stalled logins from one address no longer lock the real user out of another", async () => {
  const { rendezvous, v4, v6 } = await twoAddressRendezvous(300);
  // One node per stall (a connection takes only so many account streams at once), one address.
  const attackers = await Promise.all(Array.from({ length: PAIR_FREE_FAILURES }, clientNode));
  const attacker = attackers[0]!;
  const owner = await clientNode();
  try {
    await registerAccount(owner, v6, "alice", "right", FAST);
    await Promise.all(attackers.map((node) => stalledLogin(node, v4, "alice")));
    // alice, from her own address, logs in.
    const result = await login(owner, v6, "alice", "right", FAST);
    assert.equal(result.username, "alice");
    // The attacker's address has used its guesses: even the right password waits there.
    await remoteError(login(attacker, v4, "alice", "wrong", FAST), Status.E_THROTTLED);
  } finally {
    await stopAll(...attackers, owner, rendezvous);
  }
});

Deno.test("account throttle: failed guesses from one address are throttled, the user elsewhere is not", async () => {
  const { rendezvous, v4, v6 } = await twoAddressRendezvous();
  const attacker = await clientNode();
  const owner = await clientNode();
  try {
    await registerAccount(owner, v6, "alice", "right", FAST);
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) {
      await remoteError(login(attacker, v4, "alice", "wrong", FAST), Status.E_LOGIN_FAILED);
    }
    const throttled = await remoteError(
      login(attacker, v4, "alice", "wrong", FAST),
      Status.E_THROTTLED,
    );
    assert.ok(throttled.retryAfterMs !== undefined && throttled.retryAfterMs > 0);
    assert.equal((await login(owner, v6, "alice", "right", FAST)).username, "alice");
  } finally {
    await stopAll(attacker, owner, rendezvous);
  }
});

Deno.test("account throttle: probing which usernames exist by registering is throttled per address", async () => {
  const { rendezvous, v4, v6 } = await twoAddressRendezvous();
  const prober = await clientNode();
  const owner = await clientNode();
  const newcomer = await clientNode();
  try {
    await registerAccount(owner, v6, "alice", "right", FAST);
    for (let i = 0; i < REGISTRATION_FREE_PROBES; i++) {
      await remoteError(
        registerAccount(prober, v4, "alice", "x", FAST),
        Status.E_USERNAME_TAKEN,
      );
    }
    const throttled = await remoteError(
      registerAccount(prober, v4, "carol", "x", FAST),
      Status.E_THROTTLED,
    );
    assert.match(throttled.message, /too many registration attempts/i);
    // Someone else, from another address, registers as usual.
    await registerAccount(newcomer, v6, "bob", "pw", FAST);
  } finally {
    await stopAll(prober, owner, newcomer, rendezvous);
  }
});

Deno.test("account throttle: a stalled login is given up after FINISH_TIMEOUT_MS, before the read deadline", async () => {
  assert.ok(FINISH_TIMEOUT_MS < FRAMES.account.readTimeoutMs);
  const { rendezvous, v4 } = await twoAddressRendezvous();
  const attacker = await clientNode();
  try {
    const started = Date.now();
    await stalledLogin(attacker, v4, "alice");
    const took = Date.now() - started;
    assert.ok(took >= FINISH_TIMEOUT_MS - 100, `gave up after ${took} ms`);
    assert.ok(took < FRAMES.account.readTimeoutMs, `gave up after ${took} ms`);
  } finally {
    await stopAll(attacker, rendezvous);
  }
});
