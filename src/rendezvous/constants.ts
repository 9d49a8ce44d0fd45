/**
 * Quotas only the rendezvous enforces. The wire limits both roles share are in
 * src/protocol/limits.ts.
 */
import { MAX_ENVELOPE_BYTES, MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD } from "../protocol/limits.ts";
import type { PrekeyMemory } from "./store/remote_prekeys.ts";

/** Registrations in all, across peers: the server answers E_UNAVAILABLE past it. */
export const MAX_REGISTRATIONS_TOTAL = 200_000;

/** The most one-time prekeys the server keeps for one user. */
export const MAX_ONE_TIME_PREKEYS_STORED = 500;

/**
 * How long the account protocol waits for a client's REGISTER_FINISH or LOGIN_FINISH. The client
 * runs OPAQUE's Argon2 key stretching in between (about 0.2 s on a laptop with the default
 * "memory-constrained" setting); a stalled attempt is given up after this.
 */
export const FINISH_TIMEOUT_MS = 5_000;

/** Certificates the rendezvous signs are valid this long. */
export const CERTIFICATE_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Presence events buffered for one slow subscriber before its stream is reset. */
export const MAX_PRESENCE_BACKLOG = 10_000;

/** Mailbox quotas: per recipient, per sender in it, per envelope, and how long mail is kept. */
export interface MailboxLimits {
  /** Envelopes one recipient's mailbox holds at most. */
  readonly maxMailPerRecipient: number;
  /** Bytes of envelopes one recipient's mailbox holds at most. */
  readonly maxBytesPerRecipient: number;
  /** Envelopes from one sender one recipient's mailbox holds at most. */
  readonly maxMailPerSender: number;
  /** Bytes of envelopes from one sender one recipient's mailbox holds at most. */
  readonly maxBytesPerSender: number;
  /** The retryAfterMs hint of E_MAILBOX_FULL and E_SENDER_QUOTA. */
  readonly fullRetryAfterMs: number;
  /** Largest envelope accepted (the envelope's own limit, MAX_ENVELOPE_BYTES). */
  readonly maxEnvelopeBytes: number;
  /** Mail older than this is purged unread. */
  readonly ttlMs: number;
}

/** The default mailbox quotas. */
export const MAILBOX_LIMITS: MailboxLimits = {
  maxMailPerRecipient: 10_000,
  maxBytesPerRecipient: 50 * 1024 * 1024,
  // A tenth of the mailbox: it takes ten senders to fill one.
  maxMailPerSender: 1_000,
  maxBytesPerSender: 5 * 1024 * 1024,
  fullRetryAfterMs: 10 * 60 * 1000,
  maxEnvelopeBytes: MAX_ENVELOPE_BYTES,
  ttlMs: 30 * 24 * 60 * 60 * 1000,
};

/**
 * The most one-time ML-KEM-768 prekeys the server keeps for one user: two full uploads, room for
 * a refill of a full pool before the last one drained (the peer keeps 100, refilled below 20).
 * Each takes about 1.4 KB of SQLite pages: some 280 KB a user at the cap (bench/pqxdh.ts).
 */
export const MAX_KEM_ONE_TIME_PREKEYS_STORED = 2 * MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD;

/** Server vouches this rendezvous signs for its peers are valid this long. */
export const VOUCH_LIFETIME_MS = 60 * 60 * 1000;

/** Federation quotas at the receiving node, per federated node that forwards mail here. */
export interface FederationLimits {
  /** Envelopes from one federated node's users all mailboxes here hold at most. */
  readonly maxMailPerRemote: number;
  /** Bytes of those envelopes. */
  readonly maxBytesPerRemote: number;
  /** Forwarded deposits one federated node may make per minute, on average. */
  readonly depositsPerMinute: number;
  /** Forwarded deposits one federated node may make at once before the rate applies. */
  readonly depositBurst: number;
  /** At the sender's home: envelopes one local user may have waiting to be forwarded. */
  readonly maxQueuedPerSender: number;
  /** How long a deposit for a remote user waits for the remote's verdict before "queued". */
  readonly forwardWaitMs: number;
  /** The backoff of forwarding retries. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** How long the outcome of forwarded mail is kept for FORWARD_STATUS. */
  readonly recordTtlMs: number;
  /** How long, and how many per remote user, one-time prekeys from remote lookups are kept. */
  readonly prekeyMemory: PrekeyMemory;
}

/** The default federation quotas. */
export const FEDERATION_LIMITS: FederationLimits = {
  maxMailPerRemote: 20_000,
  maxBytesPerRemote: 100 * 1024 * 1024,
  depositsPerMinute: 600,
  depositBurst: 200,
  maxQueuedPerSender: 1_000,
  forwardWaitMs: 5_000,
  retryMinMs: 2_000,
  retryMaxMs: 5 * 60 * 1000,
  recordTtlMs: 7 * 24 * 60 * 60 * 1000,
  prekeyMemory: { keepMs: 30 * 24 * 60 * 60 * 1000, maxPerUser: 10_000 },
};
