/**
 * /tincan/account/1.0.0 — OPAQUE registration and login (@serenity-kit/opaque). The server keeps
 * only the OPAQUE registration record; it never sees a password. A login binds the account to the
 * Noise-authenticated PeerId of its connection; a login from a new identity key is a key change,
 * appended to the key log and flagged in the certificate.
 *
 * An unknown user and a wrong password look the same on the wire: the server answers LOGIN_START
 * with OPAQUE's fake response for unknown users, and both end in E_LOGIN_FAILED.
 */
import { bytesEqual } from "../crypto/bytes.ts";
import type { Connection, Stream } from "@libp2p/interface";
import * as opaque from "@serenity-kit/opaque";
import { ProtocolError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { deadline } from "../net/deadline.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { AccountRequest, AccountResponse, Status } from "../proto/services.ts";
import { type AccountStore, KeyLogConflictError, UsernameTakenError } from "./store/accounts.ts";
import type { Certifier } from "./certifier.ts";
import type { ReplacedLogins } from "./replaced_logins.ts";
import { retiredKeyRefusal } from "./retired_keys.ts";
import type { RetiredKeyStore } from "./store/retired_keys.ts";
import { FRAMES } from "../protocol/limits.ts";
import { FINISH_TIMEOUT_MS } from "./constants.ts";
import type { LoggedInUsers } from "./logged_in_users.ts";
import {
  type AccountThrottle,
  isAttempt,
  type LoginOutcome,
  type RegistrationOutcome,
} from "./account_throttle.ts";
import type { Metrics } from "./metrics.ts";
import type { AccountPolicy } from "./admin/policy.ts";
import { normalizeUsername } from "../protocol/username.ts";

/** What the account protocol works with. */
export interface AccountDeps {
  readonly serverSetup: string;
  /** The rendezvous PeerId, bound into every OPAQUE exchange as the server identifier. */
  readonly serverId: string;
  readonly accounts: AccountStore;
  readonly retiredKeys: RetiredKeyStore;
  readonly certifier: Certifier;
  readonly loggedIn: LoggedInUsers;
  readonly throttle: AccountThrottle;
  readonly log: Logger;
  readonly now: () => number;
  /** Tells and closes the older logins a login replaces (replaced_logins.ts). */
  readonly logins: ReplacedLogins;
  /** Frame limits of a request stream; FRAMES.account unless given. */
  readonly frames?: FrameLimits;
  /** Operator hook: counts logins and registrations. */
  readonly metrics: Metrics;
  /** Operator hook: disabled accounts and deleted names. */
  readonly policy: AccountPolicy;
}

/** What the account protocol needs of a connection: its PeerId, address (throttle) and state. */
export type AccountCaller = Pick<
  Connection,
  "remotePeer" | "remoteAddr" | "status" | "id" | "close" | "abort"
>;

type AccountStream = FramedStream<AccountRequest, AccountResponse>;

const EMPTY: Omit<AccountResponse, "status"> = {
  statusText: "",
  retryAfterMs: 0n,
  opaqueMessage: "",
  certificate: new Uint8Array(0),
  keyChanged: false,
};

function respond(
  status: Status,
  statusText: string,
  extra: Partial<AccountResponse> = {},
): AccountResponse {
  return { ...EMPTY, status, statusText, ...extra };
}

/** Creates the handler of /tincan/account/1.0.0. */
export function accountProtocol(deps: AccountDeps) {
  return async (stream: Stream, connection: AccountCaller): Promise<void> => {
    const framed: AccountStream = new FramedStream(
      stream,
      AccountRequest,
      AccountResponse,
      deps.frames ?? FRAMES.account,
    );
    const first = await framed.read();
    let username: string;
    try {
      username = normalizeUsername(first.username);
    } catch (err: unknown) {
      await framed.write(respond(Status.E_INVALID_USERNAME, (err as Error).message));
      return await framed.close();
    }
    if (first.type === AccountRequest.Type.REGISTER_START) {
      await register(deps, framed, connection, username, first.opaqueMessage);
    } else if (first.type === AccountRequest.Type.LOGIN_START) {
      await login(deps, framed, connection, username, first.opaqueMessage);
    } else {
      await framed.write(respond(Status.E_BAD_REQUEST, `unexpected ${first.type} first`));
    }
    await framed.close();
  };
}

function identifiers(deps: AccountDeps, username: string) {
  return { client: username, server: deps.serverId };
}

async function register(
  deps: AccountDeps,
  framed: AccountStream,
  connection: AccountCaller,
  username: string,
  registrationRequest: string,
): Promise<void> {
  const ip = remoteHost(connection);
  const refused = deps.throttle.beginRegistration(ip, deps.now());
  if (refused !== undefined) {
    return await framed.write(
      throttled("too many registration attempts from this address", refused.retryAt, deps.now()),
    );
  }
  const progress: { outcome: RegistrationOutcome } = { outcome: "void" };
  try {
    await attemptRegistration(deps, framed, connection, username, registrationRequest, progress);
  } finally {
    deps.throttle.endRegistration(ip, progress.outcome, deps.now());
  }
}

async function attemptRegistration(
  deps: AccountDeps,
  framed: AccountStream,
  connection: AccountCaller,
  username: string,
  registrationRequest: string,
  progress: { outcome: RegistrationOutcome },
): Promise<void> {
  const identityKey = connection.remotePeer.publicKey?.raw;
  if (identityKey === undefined || connection.remotePeer.type !== "Ed25519") {
    return await framed.write(respond(Status.E_NOT_AUTHORIZED, "an Ed25519 PeerId is required"));
  }
  const retired = refuseRetiredKey(deps, identityKey, username);
  if (retired !== undefined) return await framed.write(retired);
  // From here on the answer tells whether the name exists.
  progress.outcome = "probed";
  if (deps.accounts.get(username)) {
    return await framed.write(
      respond(Status.E_USERNAME_TAKEN, `the username ${username} is taken`),
    );
  }
  const coolingOff = deps.policy.registrationRefusal(username, deps.now()); // operator hook
  if (coolingOff !== undefined) {
    return await framed.write(respond(Status.E_USERNAME_TAKEN, coolingOff));
  }
  let registrationResponse: string;
  try {
    registrationResponse = opaque.server.createRegistrationResponse({
      serverSetup: deps.serverSetup,
      userIdentifier: username,
      registrationRequest,
    }).registrationResponse;
  } catch {
    return await framed.write(respond(Status.E_BAD_REQUEST, "malformed OPAQUE registration"));
  }
  await framed.write(respond(Status.OK, "", { opaqueMessage: registrationResponse }));
  const finish = await readFinish(framed, "REGISTER_FINISH");
  if (finish.type !== AccountRequest.Type.REGISTER_FINISH || finish.opaqueMessage === "") {
    return await framed.write(respond(Status.E_BAD_REQUEST, "expected REGISTER_FINISH"));
  }
  const now = deps.now();
  const { statement } = await deps.certifier.keyLogEntry(username, identityKey, now);
  try {
    deps.accounts.create({
      username,
      registrationRecord: finish.opaqueMessage,
      identityKey,
      createdAt: now,
    }, statement);
  } catch (err: unknown) {
    if (err instanceof UsernameTakenError) {
      return await framed.write(respond(Status.E_USERNAME_TAKEN, err.message));
    }
    if (isUniqueViolation(err)) {
      return await framed.write(
        respond(Status.E_NOT_AUTHORIZED, "this identity key already belongs to another account"),
      );
    }
    throw err;
  }
  progress.outcome = "registered";
  deps.log.info(`registered ${username} (${connection.remotePeer})`);
  deps.metrics.count("registrations", { username, address: remoteHost(connection) });
  const certificate = await deps.certifier.certificate(username, identityKey, now);
  await framed.write(respond(Status.OK, "", { certificate }));
}

async function login(
  deps: AccountDeps,
  framed: AccountStream,
  connection: AccountCaller,
  username: string,
  startLoginRequest: string,
): Promise<void> {
  const attempt = deps.throttle.beginLogin(username, remoteHost(connection), deps.now());
  if (!isAttempt(attempt)) {
    deps.metrics.count("logins_throttled", { username, address: remoteHost(connection) });
    return await framed.write(
      throttled(`too many failed logins for ${username}`, attempt.retryAt, deps.now()),
    );
  }
  const progress: { outcome: LoginOutcome } = { outcome: "void" };
  try {
    await attemptLogin(deps, framed, connection, username, startLoginRequest, progress);
  } finally {
    deps.throttle.endLogin(attempt, progress.outcome, deps.now());
  }
}

/**
 * Reads the client's second message, waiting at most FINISH_TIMEOUT_MS: a stalled attempt is
 * given up quickly (it holds an in-flight slot of its address until then).
 * @throws ProtocolError when it is late, malformed, or the stream ended.
 */
async function readFinish(framed: AccountStream, what: string): Promise<AccountRequest> {
  const late = deadline(FINISH_TIMEOUT_MS);
  try {
    return await framed.read(late.signal);
  } catch (err: unknown) {
    if (!late.signal.aborted) throw err;
    throw new ProtocolError(`no ${what} within ${FINISH_TIMEOUT_MS} ms`, { cause: err });
  } finally {
    late.clear();
  }
}

/** E_THROTTLED: `reason`, and when to retry. */
function throttled(reason: string, retryAt: number, now: number): AccountResponse {
  const wait = retryAt - now;
  return respond(
    Status.E_THROTTLED,
    `${reason}; retry after ${new Date(retryAt).toISOString()} (in ${Math.ceil(wait / 1000)} s)`,
    { retryAfterMs: BigInt(wait) },
  );
}

async function attemptLogin(
  deps: AccountDeps,
  framed: AccountStream,
  connection: AccountCaller,
  username: string,
  startLoginRequest: string,
  progress: { outcome: LoginOutcome },
): Promise<void> {
  const account = deps.accounts.get(username);
  let started: opaque.server.LoginStartResult;
  try {
    started = opaque.server.startLogin({
      serverSetup: deps.serverSetup,
      registrationRecord: account?.registrationRecord ?? null,
      startLoginRequest,
      userIdentifier: username,
      identifiers: identifiers(deps, username),
    });
  } catch {
    return await framed.write(respond(Status.E_BAD_REQUEST, "malformed OPAQUE login"));
  }
  // The client can test its password against this answer: from here on the attempt is a guess.
  progress.outcome = "abandoned";
  await framed.write(respond(Status.OK, "", { opaqueMessage: started.loginResponse }));

  const finish = await readFinish(framed, "LOGIN_FINISH");
  let verified = false;
  if (finish.type === AccountRequest.Type.LOGIN_FINISH) {
    // Run OPAQUE's finish for unknown users too (it fails against the fake record), so both
    // cases take the same time.
    try {
      opaque.server.finishLogin({
        serverLoginState: started.serverLoginState,
        finishLoginRequest: finish.opaqueMessage,
        identifiers: identifiers(deps, username),
      });
      verified = account !== undefined;
    } catch {
      verified = false;
    }
  } else if (finish.type !== AccountRequest.Type.LOGIN_ABORT) {
    throw new ProtocolError(`unexpected ${finish.type} after LOGIN_START`);
  }
  if (!verified || account === undefined) {
    progress.outcome = "failed";
    deps.log.info(`failed login for ${username} from ${remoteHost(connection)}`);
    deps.metrics.count("logins_failed", { username, address: remoteHost(connection) });
    return await framed.write(
      respond(Status.E_LOGIN_FAILED, "wrong username or password"),
    );
  }
  progress.outcome = "succeeded";
  const disabled = deps.policy.loginRefusal(username); // operator hook
  if (disabled !== undefined) {
    deps.metrics.count("logins_disabled", { username, address: remoteHost(connection) });
    return await framed.write(respond(Status.E_NOT_AUTHORIZED, disabled));
  }
  await completeLogin(deps, framed, connection, username);
}

async function completeLogin(
  deps: AccountDeps,
  framed: AccountStream,
  connection: AccountCaller,
  username: string,
): Promise<void> {
  const identityKey = connection.remotePeer.publicKey?.raw;
  if (identityKey === undefined || connection.remotePeer.type !== "Ed25519") {
    return await framed.write(respond(Status.E_NOT_AUTHORIZED, "an Ed25519 PeerId is required"));
  }
  const now = deps.now();
  // The key bound now, not when the login started: another login may have changed it meanwhile.
  const boundKey = deps.accounts.get(username)?.identityKey;
  if (boundKey === undefined) throw new RangeError(`the account ${username} is gone`);
  const keyChanged = !bytesEqual(identityKey, boundKey);
  if (keyChanged) {
    const retired = refuseRetiredKey(deps, identityKey, username);
    if (retired !== undefined) return await framed.write(retired);
    const { seq, statement } = await deps.certifier.keyLogEntry(username, identityKey, now);
    try {
      deps.accounts.changeIdentityKey(username, identityKey, seq, statement, now);
    } catch (err: unknown) {
      if (isUniqueViolation(err)) {
        return await framed.write(
          respond(Status.E_NOT_AUTHORIZED, "this identity key already belongs to another account"),
        );
      }
      if (err instanceof KeyLogConflictError) {
        return await framed.write(respond(
          Status.E_UNAVAILABLE,
          "another login changed its key at the same time; retry",
        ));
      }
      throw err;
    }
    deps.log.warn(`key change for ${username}: now ${connection.remotePeer} (key log #${seq})`);
  }
  // The newer login wins: the older ones (this PeerId's other connections, the user's previous
  // PeerId) are told and closed.
  const previous = deps.loggedIn.byUsername(username)?.peerId;
  await deps.logins.replaceOlder(connection, username, previous);
  // A connection that closed during the awaits above has had its peer:disconnect already: a
  // login bound to it now would never end.
  if (connection.status !== "open") {
    throw new ProtocolError(`the connection closed before ${username} was logged in`);
  }
  const peerId = connection.remotePeer.toString();
  deps.loggedIn.login(username, peerId, now);
  const certificate = await deps.certifier.certificate(username, identityKey, now);
  await framed.write(respond(Status.OK, "", { certificate, keyChanged }));
  deps.log.info(`logged in ${username} (${peerId})`);
  deps.metrics.count("logins_ok", { username, address: remoteHost(connection) });
}

/** E_KEY_RETIRED when `identityKey` may not be bound to `username` now (retired_keys.ts). */
function refuseRetiredKey(
  deps: AccountDeps,
  identityKey: Uint8Array,
  username: string,
): AccountResponse | undefined {
  const reason = retiredKeyRefusal(deps.retiredKeys.retirements(identityKey), username, deps.now());
  return reason === undefined ? undefined : respond(Status.E_KEY_RETIRED, reason);
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error &&
    /UNIQUE constraint failed: accounts\.identity_key/.test(err.message);
}

/** The host part of the connection's remote address, the throttle's per-address key. */
export function remoteHost(connection: Pick<Connection, "remoteAddr">): string {
  const parts = connection.remoteAddr.getComponents();
  return parts.find((c) => c.name === "ip4" || c.name === "ip6")?.value ?? "unknown";
}
