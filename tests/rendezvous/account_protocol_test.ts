/**
 * /tincan/account/1.0.0 on an in-memory stream pair with `:memory:` stores, the client side played
 * with OPAQUE directly: registration, login, key changes, and the refusals (invalid and taken
 * names, wrong passwords, throttling, foreign keys, bad frames, a connection gone mid-login).
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import * as opaque from "@serenity-kit/opaque";
import assert from "node:assert/strict";
import { verifyCertificate } from "../../src/crypto/statements.ts";
import { ProtocolError } from "../../src/errors.ts";
import { AccountRequest, AccountResponse, Status } from "../../src/proto/services.ts";
import { accountProtocol } from "../../src/rendezvous/account_protocol.ts";
import { Certifier } from "../../src/rendezvous/certifier.ts";
import { LoggedInUsers } from "../../src/rendezvous/logged_in_users.ts";
import { AccountThrottle, PAIR_FREE_FAILURES } from "../../src/rendezvous/account_throttle.ts";
import { ReplacedLogins } from "../../src/rendezvous/replaced_logins.ts";
import { RetiredKeyStore } from "../../src/rendezvous/store/retired_keys.ts";
import { Metrics } from "../../src/rendezvous/metrics.ts";
import { accountPolicy, DEFAULT_COOLING_OFF_MS } from "../../src/rendezvous/admin/policy.ts";
import { AccountAdminStore } from "../../src/rendezvous/store/account_admin.ts";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  assertResetBy,
  connectionIdOf,
  memoryLog,
  memoryStores,
  serve,
  type TestCaller,
  testCaller,
  TYPE_99_FRAME,
} from "./protocol_harness.ts";

const NOW = 1_700_000_000_000;
const SERVER_ID = "12D3KooWRendezvousUnderTest";
const KEY_STRETCHING = {
  "argon2id-custom": { iterations: 1, memory: 256, parallelism: 1 },
} as const;
const { REGISTER_START, REGISTER_FINISH, LOGIN_START, LOGIN_FINISH, LOGIN_ABORT } =
  AccountRequest.Type;

async function accounts() {
  await opaque.ready;
  const stores = memoryStores();
  const serverKey = await generateKeyPair("Ed25519");
  const loggedIn = new LoggedInUsers();
  const disconnected: string[] = [];
  const metrics = new Metrics(() => NOW);
  const admin = new AccountAdminStore(stores.db);
  const handler = accountProtocol({
    serverSetup: opaque.server.createSetup(),
    serverId: SERVER_ID,
    accounts: stores.accounts,
    certifier: new Certifier(serverKey, stores.accounts),
    loggedIn,
    retiredKeys: new RetiredKeyStore(stores.db),
    throttle: new AccountThrottle(),
    log: memoryLog(),
    now: () => NOW,
    // Each caller has one connection; closing a replaced one notes its PeerId.
    logins: new ReplacedLogins((peerId) => [{
      id: connectionIdOf(peerId),
      remotePeer: peerIdFromString(peerId),
      close: () => {
        disconnected.push(peerId);
        return Promise.resolve();
      },
      abort: () => disconnected.push(peerId),
    }]),
    metrics,
    policy: accountPolicy(admin, DEFAULT_COOLING_OFF_MS),
  });
  const open = (caller: TestCaller) => serve(handler, caller, AccountRequest, AccountResponse);
  // As the real client does, OPAQUE runs on the case-folded name.
  const identifiers = (username: string) => ({
    client: username.toLowerCase(),
    server: SERVER_ID,
  });

  /** Runs a registration as `caller`; returns the last answer. */
  const register = async (caller: TestCaller, username: string, password: string) => {
    const s = await open(caller);
    const start = opaque.client.startRegistration({ password });
    await s.client.write({
      type: REGISTER_START,
      username,
      opaqueMessage: start.registrationRequest,
    });
    const first = await s.client.read();
    if (first.status !== Status.OK) return await ended(s, first);
    const finished = opaque.client.finishRegistration({
      password,
      registrationResponse: first.opaqueMessage,
      clientRegistrationState: start.clientRegistrationState,
      identifiers: identifiers(username),
      keyStretching: KEY_STRETCHING,
    });
    await s.client.write({
      type: REGISTER_FINISH,
      username,
      opaqueMessage: finished.registrationRecord,
    });
    return await ended(s, await s.client.read());
  };

  /** Runs a login as `caller` (aborting it when OPAQUE fails on the client); the last answer. */
  const login = async (
    caller: TestCaller,
    username: string,
    password: string,
  ) => {
    const s = await open(caller);
    const start = opaque.client.startLogin({ password });
    await s.client.write({ type: LOGIN_START, username, opaqueMessage: start.startLoginRequest });
    const first = await s.client.read();
    if (first.status !== Status.OK) return await ended(s, first);
    const finished = opaque.client.finishLogin({
      clientLoginState: start.clientLoginState,
      loginResponse: first.opaqueMessage,
      password,
      identifiers: identifiers(username),
      keyStretching: KEY_STRETCHING,
    });
    await s.client.write(
      finished === undefined
        ? { type: LOGIN_ABORT, username, opaqueMessage: "" }
        : { type: LOGIN_FINISH, username, opaqueMessage: finished.finishLoginRequest },
    );
    return await ended(s, await s.client.read());
  };
  return { stores, serverKey, loggedIn, disconnected, metrics, admin, open, register, login };
}

/** `answer`, once the handler has closed the stream. */
async function ended(
  s: Awaited<ReturnType<typeof serve<AccountRequest, AccountResponse, unknown>>>,
  answer: AccountResponse,
): Promise<AccountResponse> {
  await s.done;
  assert.equal(await s.client.readOrEnd(), undefined, "the answer is the last frame");
  return answer;
}

Deno.test("account: register, then log in; the certificate names the user and key", async () => {
  const a = await accounts();
  const alice = await testCaller();
  const registered = await a.register(alice, "Alice", "pw");
  assert.equal(registered.status, Status.OK, registered.statusText);
  const certificate = await verifyCertificate(registered.certificate, a.serverKey.publicKey, NOW);
  assert.equal(certificate.username, "alice");
  assert.deepEqual(certificate.identityKey, alice.key.publicKey.raw);
  assert.equal(a.loggedIn.usernameOf(alice.peerId), undefined, "registering is not logging in");
  assert.equal(a.stores.accounts.keyLogLength("alice"), 1);

  const loggedIn = await a.login(alice, "ALICE", "pw");
  assert.equal(loggedIn.status, Status.OK, loggedIn.statusText);
  assert.equal(loggedIn.keyChanged, false);
  assert.equal(a.loggedIn.usernameOf(alice.peerId), "alice");
  assert.equal(
    (await verifyCertificate(loggedIn.certificate, a.serverKey.publicKey, NOW)).username,
    "alice",
  );
});

Deno.test("account: a login from a new key is a key change; the old PeerId is disconnected", async () => {
  const a = await accounts();
  const oldDevice = await testCaller();
  const newDevice = await testCaller();
  await a.register(oldDevice, "alice", "pw");
  await a.login(oldDevice, "alice", "pw");
  const changed = await a.login(newDevice, "alice", "pw");
  assert.equal(changed.status, Status.OK, changed.statusText);
  assert.equal(changed.keyChanged, true);
  assert.deepEqual(a.stores.accounts.get("alice")?.identityKey, newDevice.key.publicKey.raw);
  assert.equal(a.stores.accounts.keyLogLength("alice"), 2);
  assert.equal(a.loggedIn.usernameOf(newDevice.peerId), "alice");
  assert.equal(a.loggedIn.usernameOf(oldDevice.peerId), undefined);
  assert.deepEqual(a.disconnected, [oldDevice.peerId]);
});

Deno.test("account: invalid and taken names are refused", async () => {
  const a = await accounts();
  const invalid = await a.register(await testCaller(), "a b", "pw");
  assert.equal(invalid.status, Status.E_INVALID_USERNAME);
  assert.match(invalid.statusText, /^Invalid username/);
  assert.equal((await a.login(await testCaller(), "x", "pw")).status, Status.E_INVALID_USERNAME);

  await a.register(await testCaller(), "alice", "pw");
  const taken = await a.register(await testCaller(), "ALICE", "other");
  assert.equal(taken.status, Status.E_USERNAME_TAKEN);
  assert.match(taken.statusText, /alice is taken/);
});

Deno.test("account: a wrong password and an unknown user fail alike; failures are throttled", async () => {
  const a = await accounts();
  const alice = await testCaller();
  await a.register(alice, "alice", "right");
  const wrong = await a.login(alice, "alice", "wrong");
  const unknown = await a.login(alice, "nobody", "whatever");
  assert.equal(wrong.status, Status.E_LOGIN_FAILED);
  assert.deepEqual(unknown, wrong, "nothing tells an unknown user from a wrong password");
  // Throttled per (username, address): alice's own failures from this address count.
  for (let i = 1; i < PAIR_FREE_FAILURES; i++) await a.login(alice, "alice", "wrong");
  const throttled = await a.login(alice, "alice", "right");
  assert.equal(throttled.status, Status.E_THROTTLED);
  assert.ok(throttled.retryAfterMs > 0n);
  assert.match(throttled.statusText, /retry after/);
  assert.equal(a.loggedIn.size, 0);
});

Deno.test("account: an identity key of another account, or not Ed25519, is refused", async () => {
  const a = await accounts();
  const alice = await testCaller();
  await a.register(alice, "alice", "pw");
  const again = await a.register(alice, "alice2", "pw");
  assert.equal(again.status, Status.E_NOT_AUTHORIZED);
  assert.match(again.statusText, /already belongs to another account/);
  assert.equal(a.stores.accounts.get("alice2"), undefined);

  const bob = await testCaller();
  await a.register(bob, "bob", "pw");
  const stolen = await a.login(alice, "bob", "pw"); // alice knows bob's password
  assert.equal(stolen.status, Status.E_NOT_AUTHORIZED);
  assert.equal(a.loggedIn.usernameOf(alice.peerId), undefined);

  const rsa = await testCaller(await generateKeyPair("secp256k1"));
  const refused = await a.register(rsa, "carol", "pw");
  assert.equal(refused.status, Status.E_NOT_AUTHORIZED);
  assert.match(refused.statusText, /Ed25519/);
});

Deno.test("account: a login whose connection closed meanwhile binds nothing", async () => {
  const a = await accounts();
  const alice = await testCaller();
  await a.register(alice, "alice", "pw");
  const gone = { ...alice, status: "closed" as const };
  await assert.rejects(a.login(gone, "alice", "pw"));
  assert.equal(a.loggedIn.size, 0);
});

Deno.test("account: bad frames, wrong first requests and malformed OPAQUE are refused", async () => {
  const a = await accounts();
  const alice = await testCaller();
  const garbage = await a.open(alice);
  await assertResetBy(garbage, TYPE_99_FRAME);

  const finishFirst = await a.open(alice);
  await finishFirst.client.write({ type: LOGIN_FINISH, username: "alice", opaqueMessage: "x" });
  const unexpected = await ended(finishFirst, await finishFirst.client.read());
  assert.equal(unexpected.status, Status.E_BAD_REQUEST);

  for (const type of [REGISTER_START, LOGIN_START]) {
    const malformed = await a.open(alice);
    await malformed.client.write({ type, username: "alice", opaqueMessage: "not opaque" });
    assert.equal((await ended(malformed, await malformed.client.read())).status, "E_BAD_REQUEST");
  }

  await a.register(alice, "alice", "pw");
  const wrongSecond = await a.open(alice);
  const start = opaque.client.startLogin({ password: "pw" });
  await wrongSecond.client.write({
    type: LOGIN_START,
    username: "alice",
    opaqueMessage: start.startLoginRequest,
  });
  assert.equal((await wrongSecond.client.read()).status, Status.OK);
  await wrongSecond.client.write({ type: REGISTER_START, username: "alice", opaqueMessage: "" });
  await assert.rejects(wrongSecond.done, ProtocolError);
  assert.equal(a.loggedIn.size, 0);
});

Deno.test("account: the operator's counters count registrations and each kind of login", async () => {
  const a = await accounts();
  const alice = await testCaller();
  await a.register(alice, "alice", "right");
  await a.login(alice, "alice", "right");
  for (let i = 0; i < PAIR_FREE_FAILURES; i++) await a.login(alice, "alice", "wrong");
  await a.login(alice, "alice", "right");
  assert.deepEqual(
    ["registrations", "logins_ok", "logins_failed", "logins_throttled"].map((c) =>
      a.metrics.value(c as Parameters<Metrics["value"]>[0])
    ),
    [1, 1, PAIR_FREE_FAILURES, 1],
  );
});

Deno.test("account: a disabled account cannot log in; a deleted name waits out its cooling-off", async () => {
  const a = await accounts();
  const alice = await testCaller();
  await a.register(alice, "alice", "pw");
  a.admin.setDisabled("alice", NOW);
  const refused = await a.login(alice, "alice", "pw");
  assert.equal(refused.status, Status.E_NOT_AUTHORIZED);
  assert.match(refused.statusText, /disabled the account/);
  assert.equal(a.loggedIn.size, 0);
  assert.equal(a.metrics.value("logins_disabled"), 1);

  a.admin.delete("alice", NOW);
  const again = await a.register(await testCaller(), "alice", "pw2");
  assert.equal(again.status, Status.E_USERNAME_TAKEN);
  assert.match(again.statusText, /deleted recently/);
});
