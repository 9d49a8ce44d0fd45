/**
 * /tincan/directory/1.0.0 — a logged-in user publishes its identity-DH key, signed prekey and
 * one-time prekeys, and from a PQXDH-capable version its ML-KEM-768 last-resort prekey and
 * one-time KEM prekeys (every signature checked against its identity key, as its kind); a
 * logged-in user looks up another: certificate, keys, one one-time prekey and one one-time KEM
 * prekey (each consumed: never handed out twice; the last-resort KEM prekey always, alone when
 * the KEM pool is empty), current signed peer records; or fetches a user's key log. One request
 * and one response per stream.
 *
 * An upload without `kemPrekeys` comes from a version without PQXDH: the user's KEM prekeys are
 * dropped, so lookups give a bundle for X3DH. An upload with `kemPrekeys` must carry the
 * last-resort KEM prekey (the current one again when it has not rotated). A KEM prekey id uploaded
 * again with the same key is stored once; with another key, while stored, it is E_BAD_REQUEST.
 *
 * Federation (FEDERATION_CONTRACT.md): LOOKUP and KEY_LOG naming a federated `server` are asked
 * of that node through this one (federation/remote_directory.ts) and carry this node's vouch for
 * its key; LIST_ONLINE lists who is online here or at a federated node; SERVERS lists the
 * federated nodes and their links.
 */
import type { Stream } from "@libp2p/interface";
import { isValidKemPublicKey } from "../crypto/kem.ts";
import { isKemKind, PrekeyKind, verifyPrekey } from "../crypto/prekeys.ts";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { DirectoryRequest, DirectoryResponse, type SignedKey, Status } from "../proto/services.ts";
import type { AccountStore } from "./store/accounts.ts";
import { PrekeyIdInUseError, type PrekeyStore } from "./store/prekeys.ts";
import type { Certifier } from "./certifier.ts";
import {
  FRAMES,
  MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD,
  MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
  MAX_ONLINE_PAGE,
} from "../protocol/limits.ts";
import { MAX_KEM_ONE_TIME_PREKEYS_STORED, MAX_ONE_TIME_PREKEYS_STORED } from "./constants.ts";
import type { RegistrationTable } from "./registrations.ts";
import type { LoggedInUsers } from "./logged_in_users.ts";
import { type Caller, LOG_IN_FIRST, requireLogin } from "./require_login.ts";
import type { Metrics } from "./metrics.ts";
import { directoryResponse, userBundle, userKeyLog } from "./user_directory.ts";
import { onlinePage } from "./online_page.ts";
import type { FederatedNode } from "./federation/federated_node.ts";
import {
  type FederationPort,
  remoteNode,
  UnknownServerError,
} from "./federation/federation_port.ts";

/** What the directory protocol works with. */
export interface DirectoryDeps {
  readonly accounts: AccountStore;
  readonly prekeys: PrekeyStore;
  readonly certifier: Certifier;
  readonly loggedIn: LoggedInUsers;
  readonly table: RegistrationTable;
  readonly log: Logger;
  readonly now: () => number;
  /** Frame limits of a request stream; FRAMES.directory unless given. */
  readonly frames?: FrameLimits;
  /** Operator hook: counts what this protocol answers. */
  readonly metrics: Metrics;
  /** Lookups and listings of users at federated nodes; without it, only this node's. */
  readonly federation?: FederationPort;
}

const respond = directoryResponse;

/** Creates the handler of /tincan/directory/1.0.0. */
export function directoryProtocol(deps: DirectoryDeps) {
  const serve = requireLogin(
    deps.loggedIn,
    () => respond(Status.E_NOT_AUTHORIZED, LOG_IN_FIRST),
    (request: DirectoryRequest, self: string, connection: Caller) =>
      answer(deps, connection, self, request),
  );
  return async (stream: Stream, connection: Caller): Promise<void> => {
    const framed = new FramedStream<DirectoryRequest, DirectoryResponse>(
      stream,
      DirectoryRequest,
      DirectoryResponse,
      deps.frames ?? FRAMES.directory,
      {
        limits: {
          oneTimePrekeys: MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
          kemPrekeys: { oneTimePrekeys: MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD },
        },
      },
    );
    const request = await framed.read();
    await framed.write(await serve(request, connection));
    await framed.close();
  };
}

async function answer(
  deps: DirectoryDeps,
  connection: Caller,
  self: string,
  request: DirectoryRequest,
): Promise<DirectoryResponse> {
  if (request.type === DirectoryRequest.Type.UPLOAD_PREKEYS) {
    return await upload(deps, connection, self, request);
  }
  if (request.type === DirectoryRequest.Type.SERVERS) {
    return deps.federation
      ? await deps.federation.servers()
      : respond(Status.OK, "", { serverName: "", servers: [] });
  }
  let node: FederatedNode | undefined;
  try {
    node = remoteNode(deps.federation, request.server);
  } catch (err: unknown) {
    if (!(err instanceof UnknownServerError)) throw err;
    return respond(Status.E_UNKNOWN_SERVER, err.message);
  }
  const federation = deps.federation;
  const remote = node && federation ? { node, federation } : undefined;
  switch (request.type) {
    case DirectoryRequest.Type.LOOKUP:
      return remote
        ? await remote.federation.lookup(
          remote.node,
          request.username,
          request.withoutOneTimePrekey,
          self,
        )
        : await userBundle(deps, request.username, request.withoutOneTimePrekey);
    case DirectoryRequest.Type.KEY_LOG:
      return remote
        ? await remote.federation.keyLog(remote.node, request.username)
        : userKeyLog(deps, request.username);
    case DirectoryRequest.Type.LIST_ONLINE: {
      const cursor = request.cursor ?? "";
      const limit = request.limit ?? MAX_ONLINE_PAGE;
      return remote ? await remote.federation.listOnline(remote.node, cursor, limit) : respond(
        Status.OK,
        "",
        onlinePage(deps.loggedIn.online(), cursor, limit, MAX_ONLINE_PAGE),
      );
    }
    default:
      return respond(Status.E_BAD_REQUEST, `unknown request ${request.type}`);
  }
}

async function upload(
  deps: DirectoryDeps,
  connection: Caller,
  username: string,
  request: DirectoryRequest,
): Promise<DirectoryResponse> {
  const identityKey = connection.remotePeer.publicKey?.raw;
  const { identityDhKey, signedPrekey, oneTimePrekeys, kemPrekeys } = request;
  if (identityKey === undefined || identityDhKey === undefined || signedPrekey === undefined) {
    return respond(Status.E_BAD_REQUEST, "an upload needs an identity-DH key and a signed prekey");
  }
  if (oneTimePrekeys.length > MAX_ONE_TIME_PREKEYS_PER_UPLOAD) {
    return respond(
      Status.E_BAD_REQUEST,
      `at most ${MAX_ONE_TIME_PREKEYS_PER_UPLOAD} one-time prekeys per upload`,
    );
  }
  const lastResortPrekey = kemPrekeys?.lastResortPrekey;
  if (kemPrekeys !== undefined && lastResortPrekey === undefined) {
    return respond(Status.E_BAD_REQUEST, "a KEM prekey upload needs a last-resort KEM prekey");
  }
  const checks: [PrekeyKind, SignedKey][] = [
    [PrekeyKind.IdentityDh, identityDhKey],
    [PrekeyKind.Signed, signedPrekey],
    ...asKind(PrekeyKind.OneTime, oneTimePrekeys),
    ...asKind(PrekeyKind.KemLastResort, lastResortPrekey ? [lastResortPrekey] : []),
    ...asKind(PrekeyKind.KemOneTime, kemPrekeys?.oneTimePrekeys ?? []),
  ];
  for (const [kind, key] of checks) {
    if (!await verifyPrekey(kind, key, identityKey)) {
      return respond(Status.E_INVALID_SIGNATURE, notSigned(kind, key));
    }
  }
  // The checks above awaited: if this peer's login ended meanwhile (a login from a new key took
  // the account), these keys are signed by a key the account no longer has.
  if (deps.loggedIn.usernameOf(connection.remotePeer.toString()) !== username) {
    return respond(Status.E_NOT_AUTHORIZED, `no longer logged in as ${username}`);
  }
  let stored: number;
  try {
    stored = deps.prekeys.publish(
      username,
      { identityDhKey, signedPrekey },
      oneTimePrekeys,
      MAX_ONE_TIME_PREKEYS_STORED,
      deps.now(),
      kemPrekeys && lastResortPrekey && {
        lastResortPrekey,
        oneTimePrekeys: kemPrekeys.oneTimePrekeys,
        maxStored: MAX_KEM_ONE_TIME_PREKEYS_STORED,
      },
      request.replaceOneTimePrekeys ?? false,
    );
  } catch (err: unknown) {
    if (err instanceof PrekeyIdInUseError) return respond(Status.E_BAD_REQUEST, err.message);
    if (!(err instanceof RangeError)) throw err;
    return respond(Status.E_UNAVAILABLE, err.message);
  }
  const kemStored = deps.prekeys.kemOneTimeCount(username);
  deps.log.debug(
    `${username} published prekeys; ${stored} one-time and ${kemStored} one-time KEM prekeys stored`,
  );
  return respond(Status.OK, "", { oneTimePrekeysLeft: stored, kemOneTimePrekeysLeft: kemStored });
}

/** Pairs each key with the kind it is verified as. */
function asKind(kind: PrekeyKind, keys: readonly SignedKey[]): [PrekeyKind, SignedKey][] {
  return keys.map((key) => [kind, key]);
}

/** Why a key failed verifyPrekey: a KEM key that fails FIPS 203's check, else its signature. */
function notSigned(kind: PrekeyKind, key: SignedKey): string {
  if (isKemKind(kind) && !isValidKemPublicKey(key.publicKey)) {
    return `${PrekeyKind[kind]} key ${key.id} is not a valid ML-KEM-768 encapsulation key ` +
      "(FIPS 203 section 7.2)";
  }
  return `${PrekeyKind[kind]} key ${key.id} is not signed by your identity key`;
}
