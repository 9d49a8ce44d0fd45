/** The client side of /tincan/directory/1.0.0: publish prekeys, look up a user, fetch a key log. */
import { FramedStream } from "../../net/framed.ts";
import type { TincanNode } from "../../net/node.ts";
import { DirectoryRequest, DirectoryResponse, type SignedKey } from "../../proto/services.ts";
import { FRAMES, MAX_PEER_RECORDS_PER_LOOKUP } from "../../protocol/limits.ts";
import { PROTOCOL } from "../../protocol/ids.ts";
import { openStream, type Target } from "../../net/dial.ts";
import { expectOk } from "./expect_ok.ts";

/** Keys to publish. */
export interface PrekeyUpload {
  readonly identityDhKey: SignedKey;
  readonly signedPrekey: SignedKey;
  readonly oneTimePrekeys: readonly SignedKey[];
  /** Drop the one-time prekeys the rendezvous holds first (this device lost them). */
  readonly replaceOneTimePrekeys?: boolean;
}

/** What a lookup returns; signatures are still to be checked by the caller. */
export interface UserRecord {
  readonly certificate: Uint8Array;
  readonly identityDhKey?: SignedKey;
  readonly signedPrekey?: SignedKey;
  readonly oneTimePrekey?: SignedKey;
  readonly peerRecords: Uint8Array[];
}

/** Maximum key-log entries a client accepts in one answer. */
export const MAX_KEY_LOG_ENTRIES = 10_000;

async function ask(
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
    { limits: { peerRecords: MAX_PEER_RECORDS_PER_LOOKUP, keyLog: MAX_KEY_LOG_ENTRIES } },
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
 * @throws RemoteError E_INVALID_SIGNATURE, E_NOT_AUTHORIZED, …
 */
export async function uploadPrekeys(
  node: TincanNode,
  rendezvous: Target,
  keys: PrekeyUpload,
): Promise<number> {
  const response = await ask(node, rendezvous, {
    type: DirectoryRequest.Type.UPLOAD_PREKEYS,
    username: "",
    identityDhKey: keys.identityDhKey,
    signedPrekey: keys.signedPrekey,
    oneTimePrekeys: [...keys.oneTimePrekeys],
    withoutOneTimePrekey: false,
    ...(keys.replaceOneTimePrekeys ? { replaceOneTimePrekeys: true } : {}),
  }, "publish prekeys");
  return response.oneTimePrekeysLeft;
}

/**
 * Looks up `username`: certificate, keys (consuming one one-time prekey unless
 * `withoutOneTimePrekey`), peer records.
 * @throws RemoteError E_NOT_FOUND when there is no such user.
 */
export async function lookupUser(
  node: TincanNode,
  rendezvous: Target,
  username: string,
  options: { withoutOneTimePrekey?: boolean } = {},
): Promise<UserRecord> {
  const response = await ask(
    node,
    rendezvous,
    {
      type: DirectoryRequest.Type.LOOKUP,
      username,
      ...NO_KEYS,
      withoutOneTimePrekey: options.withoutOneTimePrekey ?? false,
    },
    `look up ${username}`,
  );
  return {
    certificate: response.certificate,
    ...(response.identityDhKey ? { identityDhKey: response.identityDhKey } : {}),
    ...(response.signedPrekey ? { signedPrekey: response.signedPrekey } : {}),
    ...(response.oneTimePrekey ? { oneTimePrekey: response.oneTimePrekey } : {}),
    peerRecords: response.peerRecords,
  };
}

/** Fetches the signed key log of `username`, oldest first (verify with verifyKeyLog). */
export async function fetchKeyLog(
  node: TincanNode,
  rendezvous: Target,
  username: string,
): Promise<Uint8Array[]> {
  const response = await ask(
    node,
    rendezvous,
    { type: DirectoryRequest.Type.KEY_LOG, username, ...NO_KEYS },
    `fetch the key log of ${username}`,
  );
  return response.keyLog;
}
