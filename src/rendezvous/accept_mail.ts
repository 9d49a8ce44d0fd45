/**
 * Taking one envelope into a local user's mailbox: the one place that checks a deposit (size,
 * recipient exists, signed by the sender's key, addressed to the recipient's current key),
 * commits it under the quotas, counts it and signals the recipient. Used by the mailbox protocol
 * for local senders and by the federation protocol for mail a federated node forwards.
 */
import { bytesEqual } from "../crypto/bytes.ts";
import { EnvelopeError, openEnvelope } from "../crypto/envelope.ts";
import type { Logger } from "../log.ts";
import { type MailboxResponse, MailboxStatus } from "../proto/mailbox.ts";
import type { AccountStore } from "./store/accounts.ts";
import {
  MailboxFullError,
  type MailboxStore,
  RemoteQuotaError,
  SenderQuotaError,
} from "./store/mailbox.ts";
import type { MailboxLimits } from "./constants.ts";
import type { MailSignal } from "./mail_signal.ts";
import type { Metrics } from "./metrics.ts";
import { normalizeUsername } from "../protocol/username.ts";

/** What taking mail works with. */
export interface AcceptMailDeps {
  readonly accounts: AccountStore;
  readonly mailbox: MailboxStore;
  readonly log: Logger;
  readonly now: () => number;
  readonly mailSignal?: MailSignal;
  readonly metrics: Metrics;
}

/** One envelope to take. */
export interface IncomingMail {
  /** The recipient's username, as given (it is normalized here). */
  readonly recipient: string;
  /** Who sends it: a local username, or `user@server` for mail from a federated node. */
  readonly sender: string;
  /** The key the envelope must be signed with: the sender's identity key. */
  readonly senderKey: Uint8Array;
  readonly envelope: Uint8Array;
  /** Mail a federated node forwards: its quota here. */
  readonly remote?: {
    readonly server: string;
    readonly maxMail: number;
    readonly maxBytes: number;
  };
}

/** The parts of a MailboxResponse a deposit sets. */
export type DepositAnswer = Pick<MailboxResponse, "status" | "statusText" | "id" | "retryAfterMs">;

function answer(status: MailboxStatus, statusText = "", extra: Partial<DepositAnswer> = {}) {
  return { status, statusText, id: 0n, retryAfterMs: 0n, ...extra };
}

/** Checks and commits `mail` (committed when this returns OK); answers as the mailbox does. */
export async function acceptMail(
  deps: AcceptMailDeps,
  limits: MailboxLimits,
  mail: IncomingMail,
): Promise<DepositAnswer> {
  let recipient: string;
  try {
    recipient = normalizeUsername(mail.recipient);
  } catch (err: unknown) {
    return answer(MailboxStatus.E_INVALID_USERNAME, (err as RangeError).message);
  }
  const size = mail.envelope.length;
  if (size > limits.maxEnvelopeBytes) {
    return answer(
      MailboxStatus.E_TOO_LARGE,
      `the message is ${size} bytes; the mailbox takes at most ${limits.maxEnvelopeBytes}`,
    );
  }
  const account = deps.accounts.get(recipient);
  if (account === undefined) return answer(MailboxStatus.E_NOT_FOUND, `no user ${recipient} here`);
  let messageId: Uint8Array;
  try {
    const envelope = await openEnvelope(mail.envelope, mail.senderKey);
    if (!bytesEqual(envelope.recipient, account.identityKey)) {
      return answer(
        MailboxStatus.E_WRONG_RECIPIENT,
        `the message is not for ${recipient}'s current identity key (it changed?)`,
      );
    }
    messageId = envelope.messageId;
  } catch (err: unknown) {
    if (!(err instanceof EnvelopeError)) throw err;
    return answer(MailboxStatus.E_INVALID_SIGNATURE, err.message);
  }
  const now = deps.now();
  try {
    const id = deps.mailbox.deposit({
      recipient,
      sender: mail.sender,
      senderKey: mail.senderKey,
      messageId,
      envelope: mail.envelope,
      now,
      expiresAt: now + limits.ttlMs,
    }, {
      maxMail: limits.maxMailPerRecipient,
      maxBytes: limits.maxBytesPerRecipient,
      maxMailPerSender: limits.maxMailPerSender,
      maxBytesPerSender: limits.maxBytesPerSender,
      ...(mail.remote ? { remote: mail.remote } : {}),
    });
    deps.metrics.count("mailbox_deposits");
    deps.mailSignal?.raise(recipient);
    return answer(MailboxStatus.OK, "", { id: BigInt(id) });
  } catch (err: unknown) {
    if (!(err instanceof MailboxFullError)) throw err;
    deps.log.debug(`refused mail from ${mail.sender}: ${err.message}`);
    const status = err instanceof SenderQuotaError
      ? MailboxStatus.E_SENDER_QUOTA
      : err instanceof RemoteQuotaError
      ? MailboxStatus.E_REMOTE_QUOTA
      : MailboxStatus.E_MAILBOX_FULL;
    return answer(status, `${err.message}; retry later`, {
      retryAfterMs: BigInt(limits.fullRetryAfterMs),
    });
  }
}
