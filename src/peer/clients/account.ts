/**
 * The client side of /tincan/account/1.0.0: OPAQUE registration and login. The password never
 * leaves this process; the server gets OPAQUE messages only.
 */
import { isMultiaddr } from "@multiformats/multiaddr";
import * as opaque from "@serenity-kit/opaque";
import { RemoteError } from "../../errors.ts";
import { peerIdOf } from "../../net/address.ts";
import { FramedStream } from "../../net/framed.ts";
import type { TincanNode } from "../../net/node.ts";
import { AccountRequest, AccountResponse, Status } from "../../proto/services.ts";
import { expectOk } from "./expect_ok.ts";
import { FRAMES } from "../../protocol/limits.ts";
import { PROTOCOL } from "../../protocol/ids.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { openStream, type Target } from "../../net/dial.ts";

/**
 * OPAQUE's key-stretching setting; it must be the same at registration and every login.
 * "memory-constrained" is Argon2id with the RFC 9106 low-memory parameters.
 */
export type KeyStretching = NonNullable<opaque.client.FinishLoginParams["keyStretching"]>;
export const KEY_STRETCHING: KeyStretching = "memory-constrained";

/** The result of a successful registration or login. */
export interface AccountResult {
  readonly username: string;
  /** A SignedStatement of the Certificate the rendezvous issued. */
  readonly certificate: Uint8Array;
  /** The login bound a new identity key to the account (a key change). */
  readonly keyChanged: boolean;
}

/** Options for tests and benchmarks; production uses the defaults. */
export interface AccountOptions {
  readonly keyStretching?: KeyStretching;
}

type AccountStream = FramedStream<AccountResponse, AccountRequest>;

/**
 * Registers `username` with `password` at the rendezvous, binding the node's identity key.
 * @throws RemoteError (E_USERNAME_TAKEN, E_INVALID_USERNAME, …) when the rendezvous refuses.
 */
export async function registerAccount(
  node: TincanNode,
  rendezvous: Target,
  usernameInput: string,
  password: string,
  options: AccountOptions = {},
): Promise<AccountResult> {
  const username = normalizeUsername(usernameInput);
  await opaque.ready;
  const serverId = rendezvousId(rendezvous);
  const framed = await open(node, rendezvous);
  try {
    const start = opaque.client.startRegistration({ password });
    await framed.write(
      request(AccountRequest.Type.REGISTER_START, username, start.registrationRequest),
    );
    const response = expectOk(await framed.read(), `register ${username}`);
    const finished = opaque.client.finishRegistration({
      password,
      registrationResponse: response.opaqueMessage,
      clientRegistrationState: start.clientRegistrationState,
      identifiers: { client: username, server: serverId },
      keyStretching: options.keyStretching ?? KEY_STRETCHING,
    });
    await framed.write(
      request(AccountRequest.Type.REGISTER_FINISH, username, finished.registrationRecord),
    );
    const done = expectOk(await framed.read(), `register ${username}`);
    return { username, certificate: done.certificate, keyChanged: false };
  } finally {
    await framed.close();
  }
}

/**
 * Logs in as `username`; the rendezvous binds the account to this node's PeerId.
 * @throws RemoteError E_LOGIN_FAILED for an unknown user or a wrong password (one error for
 * both), E_THROTTLED with `retryAfterMs` after too many failures.
 */
export async function login(
  node: TincanNode,
  rendezvous: Target,
  usernameInput: string,
  password: string,
  options: AccountOptions = {},
): Promise<AccountResult> {
  const username = normalizeUsername(usernameInput);
  await opaque.ready;
  const serverId = rendezvousId(rendezvous);
  const framed = await open(node, rendezvous);
  try {
    const start = opaque.client.startLogin({ password });
    await framed.write(request(AccountRequest.Type.LOGIN_START, username, start.startLoginRequest));
    const response = expectOk(await framed.read(), `log in as ${username}`);
    const finished = opaque.client.finishLogin({
      clientLoginState: start.clientLoginState,
      loginResponse: response.opaqueMessage,
      password,
      identifiers: { client: username, server: serverId },
      keyStretching: options.keyStretching ?? KEY_STRETCHING,
    });
    if (finished === undefined) {
      await framed.write(request(AccountRequest.Type.LOGIN_ABORT, username, ""));
      expectOk(await framed.read(), `log in as ${username}`);
      throw new RemoteError(
        `Cannot log in as ${username}: wrong username or password`,
        Status.E_LOGIN_FAILED,
      );
    }
    await framed.write(
      request(AccountRequest.Type.LOGIN_FINISH, username, finished.finishLoginRequest),
    );
    const done = expectOk(await framed.read(), `log in as ${username}`);
    return { username, certificate: done.certificate, keyChanged: done.keyChanged };
  } finally {
    await framed.close();
  }
}

async function open(node: TincanNode, rendezvous: Target): Promise<AccountStream> {
  const stream = await openStream(node, rendezvous, PROTOCOL.account);
  return new FramedStream(stream, AccountResponse, AccountRequest, FRAMES.account);
}

function rendezvousId(rendezvous: Target): string {
  if (isMultiaddr(rendezvous)) {
    const id = peerIdOf(rendezvous);
    if (id === undefined) {
      throw new TypeError(`The rendezvous address ${rendezvous} lacks /p2p/<PeerId>`);
    }
    return id;
  }
  return rendezvous.toString();
}

function request(type: AccountRequest.Type, username: string, opaqueMessage: string) {
  return { type, username, opaqueMessage };
}
