/**
 * What the directory answers about a user this node homes: its bundle (certificate, keys, one
 * one-time prekey and one one-time KEM prekey consumed, signed peer records) or its key log.
 * The one place a bundle is made: the directory protocol answers local peers with it, the
 * federation protocol answers federated nodes with it.
 */
import { DirectoryResponse, Status } from "../proto/services.ts";
import { MAX_PEER_RECORDS_PER_LOOKUP } from "../protocol/limits.ts";
import { normalizeUsername } from "../protocol/username.ts";
import type { Certifier } from "./certifier.ts";
import type { LoggedInUsers } from "./logged_in_users.ts";
import type { Metrics } from "./metrics.ts";
import type { RegistrationTable } from "./registrations.ts";
import type { AccountStore } from "./store/accounts.ts";
import type { PrekeyStore } from "./store/prekeys.ts";

/** What a bundle is made from. */
export interface UserDirectoryDeps {
  readonly accounts: AccountStore;
  readonly prekeys: PrekeyStore;
  readonly certifier: Certifier;
  readonly loggedIn: LoggedInUsers;
  readonly table: RegistrationTable;
  readonly now: () => number;
  readonly metrics: Metrics;
}

const EMPTY: Omit<DirectoryResponse, "status"> = {
  statusText: "",
  certificate: new Uint8Array(0),
  peerRecords: [],
  keyLog: [],
  oneTimePrekeysLeft: 0,
  online: [],
  nextCursor: "",
  serverName: "",
  servers: [],
};

/** A DirectoryResponse with `status`, `statusText` and `extra`, every other field empty. */
export function directoryResponse(
  status: Status,
  statusText = "",
  extra: Partial<DirectoryResponse> = {},
): DirectoryResponse {
  return { ...EMPTY, status, statusText, ...extra };
}

/**
 * `username`'s bundle; one one-time prekey and one one-time KEM prekey are consumed unless
 * `withoutOneTimePrekey`. E_INVALID_USERNAME or E_NOT_FOUND when there is no such user here.
 */
export async function userBundle(
  deps: UserDirectoryDeps,
  name: string,
  withoutOneTimePrekey: boolean,
): Promise<DirectoryResponse> {
  const found = account(deps, name);
  if ("status" in found) return found;
  const { username, identityKey } = found;
  deps.metrics.count("directory_lookups");
  const published = deps.prekeys.published(username);
  const consume = published !== undefined && !withoutOneTimePrekey;
  // Each take is one DELETE … RETURNING, with no await before the answer's counts: a key is never
  // handed out twice, however lookups interleave.
  const oneTimePrekey = consume ? deps.prekeys.takeOneTime(username) : undefined;
  const kemOneTimePrekey = consume ? deps.prekeys.takeKemOneTime(username) : undefined;
  const online = deps.loggedIn.byUsername(username);
  const peerRecords = online
    ? deps.table.registrationsOf(online.peerId).map((r) => r.signedPeerRecord)
    : [];
  const oneTimePrekeysLeft = deps.prekeys.oneTimeCount(username);
  const kemOneTimePrekeysLeft = deps.prekeys.kemOneTimeCount(username);
  return directoryResponse(Status.OK, "", {
    certificate: await deps.certifier.certificate(username, identityKey, deps.now()),
    ...(published ?? {}),
    ...(oneTimePrekey ? { oneTimePrekey } : {}),
    ...(kemOneTimePrekey ? { kemOneTimePrekey } : {}),
    peerRecords: unique(peerRecords).slice(0, MAX_PEER_RECORDS_PER_LOOKUP),
    oneTimePrekeysLeft,
    kemOneTimePrekeysLeft,
  });
}

/** `username`'s key log, oldest first; E_INVALID_USERNAME or E_NOT_FOUND as userBundle. */
export function userKeyLog(deps: UserDirectoryDeps, name: string): DirectoryResponse {
  const found = account(deps, name);
  if ("status" in found) return found;
  return directoryResponse(Status.OK, "", {
    keyLog: deps.accounts.keyLog(found.username).map((row) => row.statement),
  });
}

function account(
  deps: UserDirectoryDeps,
  name: string,
): { username: string; identityKey: Uint8Array } | DirectoryResponse {
  let username: string;
  try {
    username = normalizeUsername(name);
  } catch (err: unknown) {
    return directoryResponse(Status.E_INVALID_USERNAME, (err as RangeError).message);
  }
  const found = deps.accounts.get(username);
  if (found === undefined) return directoryResponse(Status.E_NOT_FOUND, `no user ${username} here`);
  return { username, identityKey: found.identityKey };
}

function unique(records: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const key = r.toString();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
