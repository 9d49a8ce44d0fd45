/**
 * /tincan/federation/1.0.0, the callee side: what this node answers the federated nodes that
 * list it and that it lists. Every request names its caller in `from`, which must be listed here
 * with the connection's PeerId (authorize.ts), else E_NOT_AUTHORIZED, logged and counted. It
 * answers only for users it homes and never asks another node on a caller's behalf (one hop):
 *   HELLO        its name
 *   LOOKUP       a user's bundle, made as for a local lookup (user_directory.ts): one one-time
 *                prekey consumed, never twice
 *   KEY_LOG      a user's key log
 *   DEPOSIT      mail from the caller's user for a user here: the sender's certificate must be
 *                signed by the caller, the envelope by that certificate's key; taken as a local
 *                deposit (accept_mail.ts), deduplicated by sender key and message id, under the
 *                caller's rate and quota here (E_REMOTE_QUOTA)
 *   LIST_ONLINE  who is online here, paged, unless the operator turned it off (then no one)
 *   SUBSCRIBE    presence of users here, on a stream that stays open (when presence is given)
 */
import type { Stream } from "@libp2p/interface";
import { StatementError, verifyCertificate } from "../../crypto/statements.ts";
import type { Logger } from "../../log.ts";
import { FramedStream, type FrameLimits } from "../../net/framed.ts";
import { FederationRequest, FederationResponse, FederationStatus } from "../../proto/federation.ts";
import { MailboxStatus } from "../../proto/mailbox.ts";
import { DirectoryResponse, Status } from "../../proto/services.ts";
import { FRAMES, MAX_ONLINE_PAGE, MAX_SUBSCRIBE_USERS } from "../../protocol/limits.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { acceptMail, type AcceptMailDeps } from "../accept_mail.ts";
import type { FederationLimits, MailboxLimits } from "../constants.ts";
import type { LoggedInUsers } from "../logged_in_users.ts";
import { onlinePage } from "../online_page.ts";
import type { Caller } from "../require_login.ts";
import { userBundle, type UserDirectoryDeps, userKeyLog } from "../user_directory.ts";
import { authorizeCaller } from "./authorize.ts";
import type { FederatedNode } from "./federated_node.ts";
import { asFederationStatus } from "./statuses.ts";
import { federationResponse } from "./federation_response.ts";
import { RemoteRate } from "./remote_rate.ts";

/** Serves a SUBSCRIBE stream after its OK; resolves when the stream ends. */
export type ServeSubscription = (
  node: FederatedNode,
  usernames: readonly string[],
  framed: FramedStream<FederationRequest, FederationResponse>,
) => Promise<void>;

/** What the federation protocol works with. */
export interface FederationProtocolDeps extends UserDirectoryDeps, AcceptMailDeps {
  /** This node's case-folded name (HELLO). */
  readonly name: string;
  /** The listed node named `name`, or undefined. */
  readonly listed: (name: string) => FederatedNode | undefined;
  /** An authorized request from `name` arrived (its link is up). */
  readonly heard?: (name: string) => void;
  /** This node refused a request in the name of the listed node `name` (its tally, for the operator). */
  readonly refused?: (name: string) => void;
  readonly loggedIn: LoggedInUsers;
  readonly log: Logger;
  readonly mailboxLimits: MailboxLimits;
  readonly limits: FederationLimits;
  /** Whether federated nodes may see who is online here. */
  readonly showOnline: boolean;
  /** Presence for SUBSCRIBE; without it SUBSCRIBE is E_UNAVAILABLE. */
  readonly subscriptions?: ServeSubscription;
  readonly frames?: FrameLimits;
}

const respond = federationResponse;

/** Creates the handler of /tincan/federation/1.0.0. */
export function federationProtocol(deps: FederationProtocolDeps) {
  const rate = new RemoteRate(deps.limits.depositsPerMinute, deps.limits.depositBurst);
  return async (stream: Stream, connection: Caller): Promise<void> => {
    const framed = new FramedStream<FederationRequest, FederationResponse>(
      stream,
      FederationRequest,
      FederationResponse,
      deps.frames ?? FRAMES.federation,
      { limits: { usernames: MAX_SUBSCRIBE_USERS } },
    );
    const request = await framed.read();
    const peerId = connection.remotePeer.toString();
    const authorization = authorizeCaller(deps.listed, request.from, peerId);
    if ("refused" in authorization) {
      deps.log.warn(`refused a federation request: ${authorization.refused}`);
      deps.metrics.count("federation_refused");
      const claimed = request.from.toLowerCase();
      if (deps.listed(claimed) !== undefined) deps.refused?.(claimed);
      await framed.write(respond(FederationStatus.E_NOT_AUTHORIZED, authorization.refused));
      await framed.close();
      return;
    }
    const { node } = authorization;
    deps.heard?.(node.name);
    if (request.type === FederationRequest.Type.SUBSCRIBE && deps.subscriptions) {
      if (request.usernames.length > MAX_SUBSCRIBE_USERS) {
        await framed.write(respond(FederationStatus.E_BAD_REQUEST, "too many usernames"));
      } else {
        await framed.write(respond(FederationStatus.OK));
        await deps.subscriptions(node, request.usernames, framed);
      }
      await framed.close();
      return;
    }
    await framed.write(await answer(deps, rate, node, request));
    await framed.close();
  };
}

async function answer(
  deps: FederationProtocolDeps,
  rate: RemoteRate,
  node: FederatedNode,
  request: FederationRequest,
): Promise<FederationResponse> {
  switch (request.type) {
    case FederationRequest.Type.HELLO:
      return respond(FederationStatus.OK, "", { name: deps.name });
    case FederationRequest.Type.LOOKUP: {
      const bundle = await userBundle(deps, request.username, request.withoutOneTimePrekey);
      if (bundle.status !== Status.OK) return fromDirectory(bundle);
      deps.metrics.count("federation_lookups");
      return respond(FederationStatus.OK, "", { bundle: DirectoryResponse.encode(bundle) });
    }
    case FederationRequest.Type.KEY_LOG: {
      const log = userKeyLog(deps, request.username);
      if (log.status !== Status.OK) return fromDirectory(log);
      return respond(FederationStatus.OK, "", { keyLog: log.keyLog });
    }
    case FederationRequest.Type.DEPOSIT:
      return await deposit(deps, rate, node, request);
    case FederationRequest.Type.LIST_ONLINE: {
      const users = deps.showOnline ? deps.loggedIn.online() : [];
      const page = onlinePage(users, request.cursor, request.limit, MAX_ONLINE_PAGE);
      return respond(FederationStatus.OK, "", page);
    }
    case FederationRequest.Type.SUBSCRIBE:
      return respond(FederationStatus.E_UNAVAILABLE, "this node shares no presence");
    default:
      return respond(FederationStatus.E_BAD_REQUEST, `unknown request ${request.type}`);
  }
}

function fromDirectory(response: DirectoryResponse): FederationResponse {
  const status = response.status === Status.E_NOT_FOUND
    ? FederationStatus.E_NOT_FOUND
    : response.status === Status.E_INVALID_USERNAME
    ? FederationStatus.E_INVALID_USERNAME
    : FederationStatus.E_INTERNAL;
  return respond(status, response.statusText);
}

async function deposit(
  deps: FederationProtocolDeps,
  rate: RemoteRate,
  node: FederatedNode,
  request: FederationRequest,
): Promise<FederationResponse> {
  const now = deps.now();
  const wait = rate.take(node.name, now);
  if (wait !== undefined) {
    deps.metrics.count("federation_quota_refusals");
    deps.refused?.(node.name);
    return respond(
      FederationStatus.E_REMOTE_QUOTA,
      `${node.name} forwards more than ${deps.limits.depositsPerMinute} messages a minute here`,
      { retryAfterMs: BigInt(wait) },
    );
  }
  const key = node.peerId.publicKey;
  if (key === undefined) return respond(FederationStatus.E_INTERNAL, "a listed PeerId has no key");
  let sender: string;
  let senderKey: Uint8Array;
  try {
    const certificate = await verifyCertificate(request.senderCertificate, key, now);
    sender = `${normalizeUsername(certificate.username)}@${node.name}`;
    senderKey = certificate.identityKey;
  } catch (err: unknown) {
    if (!(err instanceof StatementError) && !(err instanceof RangeError)) throw err;
    return respond(
      FederationStatus.E_INVALID_SIGNATURE,
      `the sender's certificate does not verify with ${node.name}'s key: ${err.message}`,
    );
  }
  const taken = await acceptMail(deps, deps.mailboxLimits, {
    recipient: request.username,
    sender,
    senderKey,
    envelope: request.envelope,
    remote: {
      server: node.name,
      maxMail: deps.limits.maxMailPerRemote,
      maxBytes: deps.limits.maxBytesPerRemote,
    },
  });
  if (taken.status === MailboxStatus.OK) deps.metrics.count("federation_mail_received");
  if (taken.status === MailboxStatus.E_REMOTE_QUOTA) {
    deps.metrics.count("federation_quota_refusals");
    deps.refused?.(node.name);
  }
  return respond(asFederationStatus(taken.status), taken.statusText, {
    mailId: taken.id,
    retryAfterMs: taken.retryAfterMs,
  });
}
