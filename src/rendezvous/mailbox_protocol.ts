/**
 * /tincan/mailbox/1.0.0 — sealed mail for offline users. A logged-in peer deposits a signed
 * envelope for a user; the rendezvous checks that the depositor signed it and that it is
 * addressed to the recipient account's current identity key (so junk cannot be mailed), commits
 * it, then answers OK. A logged-in user fetches its own mail in deposit order and acknowledges
 * it by id; only acknowledged mail is deleted. Many requests per stream, answered in order.
 */
import type { Stream } from "@libp2p/interface";
import { bytesEqual } from "../crypto/bytes.ts";
import { EnvelopeError, openEnvelope } from "../crypto/envelope.ts";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { MailboxRequest, MailboxResponse, MailboxStatus } from "../proto/mailbox.ts";
import type { AccountStore } from "./store/accounts.ts";
import { MailboxFullError, type MailboxStore, SenderQuotaError } from "./store/mailbox.ts";
import { FRAMES, MAX_ACK_IDS, MAX_FETCH_BYTES, MAX_MAIL_PER_FETCH } from "../protocol/limits.ts";
import { MAILBOX_LIMITS, type MailboxLimits } from "./constants.ts";
import type { LoggedInUsers } from "./logged_in_users.ts";
import type { MailSignal } from "./mail_signal.ts";
import { type Caller, LOG_IN_FIRST, requireLogin } from "./require_login.ts";
import type { Metrics } from "./metrics.ts";
import { normalizeUsername } from "../protocol/username.ts";

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
      { limits: { ids: MAX_ACK_IDS } },
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
  let recipient: string;
  try {
    recipient = normalizeUsername(request.recipient);
  } catch (err: unknown) {
    return respond(MailboxStatus.E_INVALID_USERNAME, (err as RangeError).message);
  }
  const size = request.envelope.length;
  if (size > limits.maxEnvelopeBytes) {
    return respond(
      MailboxStatus.E_TOO_LARGE,
      `the message is ${size} bytes; the mailbox takes at most ${limits.maxEnvelopeBytes}`,
    );
  }
  const account = deps.accounts.get(recipient);
  if (account === undefined) return respond(MailboxStatus.E_NOT_FOUND, `no user ${recipient} here`);
  const depositorKey = connection.remotePeer.publicKey?.raw;
  if (depositorKey === undefined) {
    return respond(MailboxStatus.E_INVALID_SIGNATURE, "the depositor has no identity key");
  }
  let messageId: Uint8Array;
  try {
    const envelope = await openEnvelope(request.envelope, depositorKey);
    if (!bytesEqual(envelope.recipient, account.identityKey)) {
      return respond(
        MailboxStatus.E_WRONG_RECIPIENT,
        `the message is not for ${recipient}'s current identity key (it changed?)`,
      );
    }
    messageId = envelope.messageId;
  } catch (err: unknown) {
    if (!(err instanceof EnvelopeError)) throw err;
    return respond(MailboxStatus.E_INVALID_SIGNATURE, err.message);
  }
  const now = deps.now();
  try {
    const id = deps.mailbox.deposit({
      recipient,
      sender: self,
      senderKey: depositorKey,
      messageId,
      envelope: request.envelope,
      now,
      expiresAt: now + limits.ttlMs,
    }, {
      maxMail: limits.maxMailPerRecipient,
      maxBytes: limits.maxBytesPerRecipient,
      maxMailPerSender: limits.maxMailPerSender,
      maxBytesPerSender: limits.maxBytesPerSender,
    });
    deps.metrics.count("mailbox_deposits");
    deps.mailSignal?.raise(recipient);
    return respond(MailboxStatus.OK, "", { id: BigInt(id) });
  } catch (err: unknown) {
    if (!(err instanceof MailboxFullError)) throw err;
    deps.log.debug(`refused mail from ${self}: ${err.message}`);
    const status = err instanceof SenderQuotaError
      ? MailboxStatus.E_SENDER_QUOTA
      : MailboxStatus.E_MAILBOX_FULL;
    return respond(status, `${err.message}; retry later`, {
      retryAfterMs: BigInt(limits.fullRetryAfterMs),
    });
  }
}
