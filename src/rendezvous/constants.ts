/**
 * Limits of the rendezvous services. The /rendezvous/1.0.0 values follow libp2p/specs
 * rendezvous/README.md, "Recommendations for Rendezvous Points configurations".
 */

/** Protocol ids (see DESIGN.md). */
export const PROTOCOL = {
  account: "/tincan/account/1.0.0",
  rendezvous: "/rendezvous/1.0.0",
  directory: "/tincan/directory/1.0.0",
  presence: "/tincan/presence/1.0.0",
  mailbox: "/tincan/mailbox/1.0.0",
} as const;

/** Spec: a default TTL of 2 h is implied when none is set. */
export const DEFAULT_TTL_SECONDS = 2 * 60 * 60;
/** Spec: a minimum acceptable TTL of 2 h. */
export const MIN_TTL_SECONDS = 2 * 60 * 60;
/** Spec: a maximum acceptable TTL of 72 h. */
export const MAX_TTL_SECONDS = 72 * 60 * 60;
/** Spec: a maximum namespace length of 255 (bytes of UTF-8). */
export const MAX_NAMESPACE_BYTES = 255;
/** Spec: a maximum of 1000 registrations for each peer. */
export const MAX_REGISTRATIONS_PER_PEER = 1000;
/** Spec: a maximum of 1000 peers returned per namespace query. */
export const MAX_DISCOVER_RESULTS = 1000;
/** A signed peer record larger than this is refused. */
export const MAX_PEER_RECORD_BYTES = 4096;
/** Registrations in all, across peers: the server answers E_UNAVAILABLE past it. */
export const MAX_REGISTRATIONS_TOTAL = 200_000;

/** Frame limits of each protocol: body bytes, read deadline, frames per stream. */
export const FRAMES = {
  account: { maxFrameBytes: 4096, readTimeoutMs: 10_000, maxFrames: 2 },
  rendezvous: { maxFrameBytes: 8192, readTimeoutMs: 60_000, maxFrames: 10_000 },
  rendezvousResponse: { maxFrameBytes: 4 * 1024 * 1024, readTimeoutMs: 10_000, maxFrames: 10_000 },
  directory: { maxFrameBytes: 64 * 1024, readTimeoutMs: 10_000, maxFrames: 1 },
  presence: { maxFrameBytes: 1024, readTimeoutMs: 10_000, maxFrames: 1 },
  presenceEvent: { maxFrameBytes: 1024, readTimeoutMs: 2 ** 31 - 1, maxFrames: Infinity },
  /** A request carries at most one envelope (MAX_ENVELOPE_BYTES) and a little framing. */
  mailbox: { maxFrameBytes: 128 * 1024 + 1024, readTimeoutMs: 60_000, maxFrames: 100_000 },
  /** A FETCH answer carries up to MAX_MAIL_PER_FETCH mails or MAX_FETCH_BYTES. */
  mailboxResponse: { maxFrameBytes: 2 * 1024 * 1024, readTimeoutMs: 10_000, maxFrames: 100_000 },
} as const;

/** One-time prekeys one upload may carry, and the most the server keeps for one user. */
export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 200;
export const MAX_ONE_TIME_PREKEYS_STORED = 500;
/** Signed peer records one lookup returns. */
export const MAX_PEER_RECORDS_PER_LOOKUP = 8;

/** Certificates the rendezvous signs are valid this long. */
export const CERTIFICATE_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Presence events buffered for one slow subscriber before its stream is reset. */
export const MAX_PRESENCE_BACKLOG = 10_000;

/** Mailbox quotas: per recipient, per envelope, and how long mail is kept. */
export interface MailboxLimits {
  /** Envelopes one recipient's mailbox holds at most. */
  readonly maxMailPerRecipient: number;
  /** Bytes of envelopes one recipient's mailbox holds at most. */
  readonly maxBytesPerRecipient: number;
  /** Largest envelope accepted (the envelope's own limit, MAX_ENVELOPE_BYTES). */
  readonly maxEnvelopeBytes: number;
  /** Mail older than this is purged unread. */
  readonly ttlMs: number;
}

/** The default mailbox quotas. */
export const MAILBOX_LIMITS: MailboxLimits = {
  maxMailPerRecipient: 10_000,
  maxBytesPerRecipient: 50 * 1024 * 1024,
  maxEnvelopeBytes: 128 * 1024,
  ttlMs: 30 * 24 * 60 * 60 * 1000,
};
/** Mails one FETCH answer carries at most. */
export const MAX_MAIL_PER_FETCH = 100;
/** Envelope bytes one FETCH answer carries at most (one larger envelope still goes alone). */
export const MAX_FETCH_BYTES = 1024 * 1024;
/** Ids one ACK may carry. */
export const MAX_ACK_IDS = 1000;
