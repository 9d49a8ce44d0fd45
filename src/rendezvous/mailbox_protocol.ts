/**
 * /tincan/mailbox/1.0.0 — sealed mail for offline users. A logged-in peer deposits a signed
 * envelope for a user; the rendezvous checks that the depositor signed it and that it is
 * addressed to the recipient account's current identity key (so junk cannot be mailed), commits
 * it, then answers OK. A logged-in user fetches its own mail in deposit order and acknowledges
 * it by id; only acknowledged mail is deleted. Many requests per stream, answered in order.
 * A deposit naming a federated `server` goes to that node through the forwarding queue
 * (federation/forwarder.ts); FORWARD_STATUS tells a sender where such deposits stand.
 */
import type { Stream } from "@libp2p/interface";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { MailboxRequest, MailboxResponse, MailboxStatus } from "../proto/mailbox.ts";
import type { AccountStore } from "./store/accounts.ts";
import type { MailboxStore } from "./store/mailbox.ts";
import { acceptMail } from "./accept_mail.ts";
import {
  FRAMES,
  MAX_ACK_IDS,
  MAX_FETCH_BYTES,
  MAX_FORWARD_STATUS_IDS,
  MAX_MAIL_PER_FETCH,
} from "../protocol/limits.ts";
import type { FederatedNode } from "./federation/federated_node.ts";
import {
  type FederationPort,
  remoteNode,
  UnknownServerError,
} from "./federation/federation_port.ts";
import { MAILBOX_LIMITS, type MailboxLimits } from "./constants.ts";
import type { LoggedInUsers } from "./logged_in_users.ts";
import type { MailSignal } from "./mail_signal.ts";
import { type Caller, LOG_IN_FIRST, requireLogin } from "./require_login.ts";
import type { Metrics } from "./metrics.ts";

/** What the mailbox protocol works with. */
export interface MailboxDeps {
  readonly accounts: AccountStore;
  readonly mailbox: MailboxStore;
  readonly loggedIn: LoggedInUsers;
  readonly log: Logger;
  readonly now: () => number;
  readonly limits?: Partial<MailboxLimits>;
  /** Frame limits of a request stream; FRAMES.mailbox unless given. */
  readonly frames?: FrameLimits;
  /** Raised for the recipient once a deposit is committed (its presence stream pushes it). */
  readonly mailSignal?: MailSignal;
  /** Operator hook: counts what this protocol answers. */
  readonly metrics: Metrics;
  /** Deposits for users of federated nodes; without it, only this node's users get mail. */
  readonly federation?: FederationPort;
}

function respond(
  status: MailboxStatus,
  statusText = "",
  extra: Partial<MailboxResponse> = {},
): MailboxResponse {
  return {
    status,
    statusText,
    id: 0n,
    mail: [],
    more: false,
    deleted: 0,
    retryAfterMs: 0n,
    forwards: [],
    ...extra,
  };
}

/** Creates the handler of /tincan/mailbox/1.0.0. */
export function mailboxProtocol(deps: MailboxDeps) {
  const limits: MailboxLimits = { ...MAILBOX_LIMITS, ...deps.limits };
  const serve = requireLogin(
    deps.loggedIn,
    () => respond(MailboxStatus.E_NOT_AUTHORIZED, LOG_IN_FIRST),
    (request: MailboxRequest, self: string, connection: Caller) =>
      answer(deps, limits, connection, self, request),
  );
  return async (stream: Stream, connection: Caller): Promise<void> => {
    const framed = new FramedStream<MailboxRequest, MailboxResponse>(
      stream,
      MailboxRequest,
      MailboxResponse,
      deps.frames ?? FRAMES.mailbox,
      { limits: { ids: MAX_ACK_IDS, forwardQuery: { messageIds: MAX_FORWARD_STATUS_IDS } } },
    );
    while (true) {
      const request = await framed.readOrEnd();
      if (request === undefined) break;
      await framed.write(await serve(request, connection));
    }
    await framed.close();
  };
}

async function answer(
  deps: MailboxDeps,
  limits: MailboxLimits,
  connection: Caller,
  self: string,
  request: MailboxRequest,
): Promise<MailboxResponse> {
  switch (request.type) {
    case MailboxRequest.Type.DEPOSIT:
      return await deposit(deps, limits, connection, self, request);
    case MailboxRequest.Type.FETCH: {
      const limit = Math.min(Math.max(request.limit, 1), MAX_MAIL_PER_FETCH);
      const { mail, more } = deps.mailbox.fetch(self, limit, MAX_FETCH_BYTES, deps.now());
      deps.metrics.count("mailbox_fetches");
      return respond(MailboxStatus.OK, "", {
        mail: mail.map((m) => ({
          id: BigInt(m.id),
          envelope: m.envelope,
          depositedAt: BigInt(m.depositedAt),
        })),
        more,
      });
    }
    case MailboxRequest.Type.ACK: {
      const ids = request.ids.map(Number);
      const deleted = deps.mailbox.acknowledge(self, ids);
      return respond(MailboxStatus.OK, "", { deleted });
    }
    case MailboxRequest.Type.FORWARD_STATUS: {
      const ids = request.forwardQuery?.messageIds ?? [];
      if (deps.federation === undefined) {
        return respond(MailboxStatus.E_BAD_REQUEST, "this rendezvous forwards no mail");
      }
      return respond(MailboxStatus.OK, "", { forwards: deps.federation.forwardStatus(self, ids) });
    }
    default:
      return respond(MailboxStatus.E_BAD_REQUEST, `unknown request ${request.type}`);
  }
}

async function deposit(
  deps: MailboxDeps,
  limits: MailboxLimits,
  connection: Caller,
  self: string,
  request: MailboxRequest,
): Promise<MailboxResponse> {
  const depositorKey = connection.remotePeer.publicKey?.raw;
  if (depositorKey === undefined) {
    return respond(MailboxStatus.E_INVALID_SIGNATURE, "the depositor has no identity key");
  }
  const mail = { recipient: request.recipient, sender: self, senderKey: depositorKey };
  let node: FederatedNode | undefined;
  try {
    node = remoteNode(deps.federation, request.server);
  } catch (err: unknown) {
    if (!(err instanceof UnknownServerError)) throw err;
    return respond(MailboxStatus.E_UNKNOWN_SERVER, err.message);
  }
  if (node !== undefined && deps.federation !== undefined) {
    return respond(MailboxStatus.OK, "", {
      ...await deps.federation.deposit(node, { ...mail, envelope: request.envelope }),
    });
  }
  return respond(MailboxStatus.OK, "", {
    ...await acceptMail(deps, limits, { ...mail, envelope: request.envelope }),
  });
}
