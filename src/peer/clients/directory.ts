/** The client side of /tincan/directory/1.0.0: publish prekeys, look up a user, fetch a key log. */
import { FramedStream } from "../../net/framed.ts";
import type { TincanNode } from "../../net/node.ts";
import {
  DirectoryRequest,
  DirectoryResponse,
  type FederatedServer,
  type OnlineUser,
  type SignedKey,
} from "../../proto/services.ts";
import pLimit, { type LimitFunction } from "p-limit";
import {
  DIRECTORY_REQUESTS_IN_FLIGHT,
  FRAMES,
  MAX_KEY_LOG_ENTRIES,
  MAX_ONLINE_PAGE,
  MAX_PEER_RECORDS_PER_LOOKUP,
} from "../../protocol/limits.ts";
import { PROTOCOL } from "../../protocol/ids.ts";
import { openStream, type Target } from "../../net/dial.ts";
import { expectOk } from "./expect_ok.ts";

/** ML-KEM-768 prekeys to publish (PQXDH). */
export interface KemPrekeys {
  /** Sent on every upload: an upload without it deletes the user's KEM prekeys there. */
  readonly lastResortPrekey: SignedKey;
  /** At most MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD new one-time KEM prekeys. */
  readonly oneTimePrekeys: readonly SignedKey[];
}

/** Keys to publish. */
export interface PrekeyUpload {
  readonly identityDhKey: SignedKey;
  readonly signedPrekey: SignedKey;
  readonly oneTimePrekeys: readonly SignedKey[];
  /** Absent: the upload of a version without PQXDH (the rendezvous drops our KEM prekeys). */
  readonly kemPrekeys?: KemPrekeys;
  /** Drop the one-time prekeys, X25519 and KEM, the rendezvous holds first (this device lost them). */
  readonly replaceOneTimePrekeys?: boolean;
}

/** How many one-time prekeys the rendezvous holds after an upload. */
export interface PrekeysLeft {
  readonly oneTime: number;
  /** One-time KEM prekeys; undefined from a rendezvous without PQXDH. */
  readonly kemOneTime: number | undefined;
}

/** What a lookup returns; signatures are still to be checked by the caller. */
export interface UserRecord {
  readonly certificate: Uint8Array;
  readonly identityDhKey?: SignedKey;
  readonly signedPrekey?: SignedKey;
  readonly oneTimePrekey?: SignedKey;
  /** The user's ML-KEM-768 last-resort prekey, when its latest upload had KEM prekeys. */
  readonly kemLastResortPrekey?: SignedKey;
  /** An ML-KEM-768 one-time prekey (consumed by this lookup). */
  readonly kemOneTimePrekey?: SignedKey;
  /** One-time KEM prekeys left; undefined from a rendezvous without PQXDH. */
  readonly kemOneTimePrekeysLeft?: number;
  readonly peerRecords: Uint8Array[];
  /** For another node's user: our home's ServerVouch for that node (its key signs the rest). */
  readonly vouch?: Uint8Array;
}

/** A key log as fetched: its statements, oldest first, and the vouch for a remote user's. */
export interface FetchedKeyLog {
  readonly statements: Uint8Array[];
  readonly vouch?: Uint8Array;
}

/** The federation fields of a request for a user homed at `server` (absent: our home). */
function at(server: string | undefined): { server?: string } {
  return server === undefined ? {} : { server };
}

/** Most federated nodes a client accepts in one SERVERS answer. */
const MAX_SERVERS_LISTED = 1_000;

/**
 * Each node's directory requests in flight (p-limit: a queue with a concurrency bound). A peer
 * sending to many members of a room at once looks many of them up at once, and the rendezvous
 * resets the streams over its limit: those lookups failed and their messages waited for the
 * next retry, a second later.
 */
const inFlight = new WeakMap<TincanNode, LimitFunction>();

/** Sends `request`, at most DIRECTORY_REQUESTS_IN_FLIGHT at once from `node`; the rest wait. */
function ask(
  node: TincanNode,
  rendezvous: Target,
  request: DirectoryRequest,
  action: string,
): Promise<DirectoryResponse> {
  let limit = inFlight.get(node);
  if (limit === undefined) {
    limit = pLimit(DIRECTORY_REQUESTS_IN_FLIGHT);
    inFlight.set(node, limit);
  }
  return limit(() => askNow(node, rendezvous, request, action));
}

async function askNow(
  node: TincanNode,
  rendezvous: Target,
  request: DirectoryRequest,
  action: string,
): Promise<DirectoryResponse> {
  const stream = await openStream(node, rendezvous, PROTOCOL.directory);
  const framed = new FramedStream<DirectoryResponse, DirectoryRequest>(
    stream,
    DirectoryResponse,
    DirectoryRequest,
    { ...FRAMES.directory, maxFrameBytes: 4 * 1024 * 1024 },
    {
      limits: {
        peerRecords: MAX_PEER_RECORDS_PER_LOOKUP,
        keyLog: MAX_KEY_LOG_ENTRIES,
        online: MAX_ONLINE_PAGE,
        servers: MAX_SERVERS_LISTED,
      },
    },
  );
  try {
    await framed.write(request);
    return expectOk(await framed.read(), action);
  } finally {
    await framed.close();
  }
}

const NO_KEYS = { oneTimePrekeys: [] as SignedKey[], withoutOneTimePrekey: false };

/**
 * Publishes this user's keys; returns how many one-time prekeys the rendezvous now holds.
 * @throws RemoteError E_INVALID_SIGNATURE, E_BAD_REQUEST (a KEM prekey id reused with another
 * key), E_UNAVAILABLE (over the KEM pool cap), E_NOT_AUTHORIZED, …
 */
export async function uploadPrekeys(
  node: TincanNode,
  rendezvous: Target,
  keys: PrekeyUpload,
): Promise<PrekeysLeft> {
  const response = await ask(node, rendezvous, {
    type: DirectoryRequest.Type.UPLOAD_PREKEYS,
    username: "",
    identityDhKey: keys.identityDhKey,
    signedPrekey: keys.signedPrekey,
    oneTimePrekeys: [...keys.oneTimePrekeys],
    withoutOneTimePrekey: false,
    ...(keys.kemPrekeys
      ? {
        kemPrekeys: {
          lastResortPrekey: keys.kemPrekeys.lastResortPrekey,
          oneTimePrekeys: [...keys.kemPrekeys.oneTimePrekeys],
        },
      }
      : {}),
    ...(keys.replaceOneTimePrekeys ? { replaceOneTimePrekeys: true } : {}),
  }, "publish prekeys");
  return { oneTime: response.oneTimePrekeysLeft, kemOneTime: response.kemOneTimePrekeysLeft };
}

/**
 * Looks up `username` (at the federated node `options.server`, through our home, when given):
 * certificate, keys (consuming one one-time prekey and one one-time KEM prekey unless
 * `withoutOneTimePrekey`), peer records, and for a remote user the vouch.
 * @throws RemoteError E_NOT_FOUND when there is no such user; E_UNKNOWN_SERVER,
 * E_REMOTE_UNAVAILABLE, E_REMOTE_INVALID for a remote one.
 */
export async function lookupUser(
  node: TincanNode,
  rendezvous: Target,
  username: string,
  options: { withoutOneTimePrekey?: boolean; server?: string } = {},
): Promise<UserRecord> {
  const response = await ask(
    node,
    rendezvous,
    {
      type: DirectoryRequest.Type.LOOKUP,
      username,
      ...NO_KEYS,
      withoutOneTimePrekey: options.withoutOneTimePrekey ?? false,
      ...at(options.server),
    },
    `look up ${options.server === undefined ? username : `${username}@${options.server}`}`,
  );
  return {
    certificate: response.certificate,
    ...(response.identityDhKey ? { identityDhKey: response.identityDhKey } : {}),
    ...(response.signedPrekey ? { signedPrekey: response.signedPrekey } : {}),
    ...(response.oneTimePrekey ? { oneTimePrekey: response.oneTimePrekey } : {}),
    ...(response.kemLastResortPrekey ? { kemLastResortPrekey: response.kemLastResortPrekey } : {}),
    ...(response.kemOneTimePrekey ? { kemOneTimePrekey: response.kemOneTimePrekey } : {}),
    ...(response.kemOneTimePrekeysLeft === undefined
      ? {}
      : { kemOneTimePrekeysLeft: response.kemOneTimePrekeysLeft }),
    peerRecords: response.peerRecords,
    ...(response.vouch === undefined ? {} : { vouch: response.vouch }),
  };
}

/**
 * Fetches the signed key log of `username` (at the federated node `server` when given), oldest
 * first (verify with verifyKeyLog, with the key the vouch names for a remote user).
 * @throws RemoteError when the rendezvous refuses.
 */
export async function fetchKeyLog(
  node: TincanNode,
  rendezvous: Target,
  username: string,
  server?: string,
): Promise<FetchedKeyLog> {
  const response = await ask(
    node,
    rendezvous,
    { type: DirectoryRequest.Type.KEY_LOG, username, ...NO_KEYS, ...at(server) },
    `fetch the key log of ${server === undefined ? username : `${username}@${server}`}`,
  );
  return {
    statements: response.keyLog,
    ...(response.vouch === undefined ? {} : { vouch: response.vouch }),
  };
}

/** Our home's name and the nodes it federates with (SERVERS). */
export interface ServerList {
  readonly home: string;
  readonly servers: readonly FederatedServer[];
}

/**
 * Asks our home its own name and its federated nodes with their link state.
 * @throws RemoteError when the rendezvous refuses.
 */
export async function listServers(node: TincanNode, rendezvous: Target): Promise<ServerList> {
  const response = await ask(
    node,
    rendezvous,
    { type: DirectoryRequest.Type.SERVERS, username: "", ...NO_KEYS },
    "list the federated servers",
  );
  return { home: response.serverName, servers: response.servers };
}

/** One page of the users online at a node. */
export interface ServerOnlinePage {
  readonly online: readonly OnlineUser[];
  /** Pass as `cursor` for the next page; "" after the last. */
  readonly nextCursor: string;
}

/**
 * Lists the users online at the federated node `server` (our home's when undefined), one page
 * from `cursor` on.
 * @throws RemoteError E_UNKNOWN_SERVER, E_REMOTE_UNAVAILABLE …
 */
export async function listOnline(
  node: TincanNode,
  rendezvous: Target,
  server: string | undefined,
  cursor = "",
): Promise<ServerOnlinePage> {
  const response = await ask(
    node,
    rendezvous,
    {
      type: DirectoryRequest.Type.LIST_ONLINE,
      username: "",
      ...NO_KEYS,
      ...at(server),
      ...(cursor === "" ? {} : { cursor }),
    },
    `list who is online at ${server ?? "this rendezvous"}`,
  );
  return { online: response.online, nextCursor: response.nextCursor };
}
