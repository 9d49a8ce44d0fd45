/**
 * The wire limits both roles enforce: frame sizes and read deadlines of every protocol, and the
 * counts a request or an answer may carry. The /rendezvous/1.0.0 values follow libp2p/specs
 * rendezvous/README.md, "Recommendations for Rendezvous Points configurations". Server-only
 * quotas are in src/rendezvous/constants.ts.
 */

/** Largest signed envelope, in bytes (chat links, the mailbox, one chat frame). */
export const MAX_ENVELOPE_BYTES = 128 * 1024;

/** The chat frame format both sides speak (src/proto/chat.proto); other versions are refused. */
export const CHAT_FRAME_VERSION = 2;
/**
 * Envelopes one chat frame carries at most: a sender batches what is pending for one peer up to
 * this, and the receiver commits them together and answers with one frame of as many Acks. A
 * frame with more is refused before anything in it is processed.
 */
export const MAX_ENVELOPES_PER_FRAME = 64;
/**
 * Largest chat frame body, in bytes: room for one envelope of MAX_ENVELOPE_BYTES and a little
 * framing; a sender stops adding envelopes to a batch before it would pass this. A frame of
 * MAX_ENVELOPES_PER_FRAME Acks (id, result, reason of MAX_ACK_REASON_LENGTH) takes at most 60 KiB.
 */
export const MAX_CHAT_FRAME_BYTES = MAX_ENVELOPE_BYTES + 1024;
/**
 * UTF-16 code units of an Ack's reason that are sent (at most 3 bytes of UTF-8 each): longer
 * reasons are cut, so a frame of Acks stays within MAX_CHAT_FRAME_BYTES.
 */
export const MAX_ACK_REASON_LENGTH = 300;

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

/** One-time ML-KEM-768 prekeys one upload may carry: a peer's full pool (100) in one request. */
export const MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD = 100;

/**
 * Largest directory request, in bytes: room for the largest upload in one frame, so a peer
 * publishes a full PQXDH pool in one request rather than in batches. That upload is, encoded,
 * about 149.3 KB: 1 + MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD ML-KEM-768 prekeys (1184-byte key,
 * 64-byte signature, id: 1262 B each on the wire, 127.5 KB), MAX_ONE_TIME_PREKEYS_PER_UPLOAD
 * X25519 one-time prekeys (108 B each, 21.6 KB) and the identity-DH key and signed prekey.
 * 160 KiB covers it with 14 KB to spare (a test encodes it); a reader already buffers up to
 * READ_AHEAD_BYTES (1 MiB) per stream, and the 10 s read deadline asks for 128 kbit/s at most.
 */
export const MAX_DIRECTORY_REQUEST_BYTES = 160 * 1024;

/** Frame limits of each rendezvous protocol: body bytes, read deadline, frames per stream. */
export const FRAMES = {
  account: { maxFrameBytes: 4096, readTimeoutMs: 10_000, maxFrames: 2 },
  rendezvous: { maxFrameBytes: 8192, readTimeoutMs: 60_000, maxFrames: 10_000 },
  rendezvousResponse: { maxFrameBytes: 4 * 1024 * 1024, readTimeoutMs: 10_000, maxFrames: 10_000 },
  /** A request may be an upload of a full pool: see MAX_DIRECTORY_REQUEST_BYTES. */
  directory: { maxFrameBytes: MAX_DIRECTORY_REQUEST_BYTES, readTimeoutMs: 10_000, maxFrames: 1 },
  /**
   * The first request (the subscription) is due within readTimeoutMs; later ones within
   * PRESENCE_HEARTBEAT.silenceMs. A FOLLOW of MAX_FOLLOW_PER_REQUEST names of 32 bytes fits.
   */
  presence: { maxFrameBytes: 16 * 1024, readTimeoutMs: 10_000, maxFrames: Infinity },
  /** A LIST reply carries MAX_LIST_PAGE entries of a name and an away text (≤ 4 bytes a char). */
  presenceEvent: { maxFrameBytes: 256 * 1024, readTimeoutMs: 2 ** 31 - 1, maxFrames: Infinity },
  /** A request carries at most one envelope and a little framing. */
  mailbox: { maxFrameBytes: MAX_ENVELOPE_BYTES + 1024, readTimeoutMs: 60_000, maxFrames: 100_000 },
  /** A FETCH answer carries up to MAX_MAIL_PER_FETCH mails or MAX_FETCH_BYTES. */
  mailboxResponse: { maxFrameBytes: 2 * 1024 * 1024, readTimeoutMs: 10_000, maxFrames: 100_000 },
  /** Node to node: a request carries at most one envelope and the sender's certificate. */
  federation: { maxFrameBytes: MAX_ENVELOPE_BYTES + 4096, readTimeoutMs: 10_000, maxFrames: 1 },
  /** A LOOKUP answer embeds a directory answer (PQXDH keys, peer records, key log). */
  federationResponse: { maxFrameBytes: 256 * 1024, readTimeoutMs: 10_000, maxFrames: 1 },
  /** SUBSCRIBE: the stream stays open and carries one PresenceUpdate per change. */
  federationPresence: { maxFrameBytes: 1024, readTimeoutMs: 2 ** 31 - 1, maxFrames: Infinity },
} as const;

/**
 * The whole of one request a home makes to a federated node — dial, send, first answer — ends by
 * this deadline: shorter than the 10 s a peer waits for its home's answer, so a remote that
 * accepts the stream and never answers (or drops packets) is E_REMOTE_UNAVAILABLE in time.
 */
export const FEDERATION_REQUEST_DEADLINE_MS = 5_000;

/** One-time prekeys one upload may carry. */
export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 200;
/** Signed peer records one lookup returns. */
export const MAX_PEER_RECORDS_PER_LOOKUP = 8;

/**
 * Directory streams one connection may have open at the rendezvous at once; it resets those
 * beyond (libp2p's maxInboundStreams).
 */
export const DIRECTORY_STREAMS_PER_CONNECTION = 8;

/**
 * Directory requests a peer has in flight at once; the others wait their turn. Half the
 * rendezvous's stream limit: a stream a peer has finished with may still count there for a
 * moment, and a stream over the limit is reset, not queued.
 */
export const DIRECTORY_REQUESTS_IN_FLIGHT = DIRECTORY_STREAMS_PER_CONNECTION / 2;

/** Key-log entries one answer carries at most (a peer's lookup, a federated node's KEY_LOG). */
export const MAX_KEY_LOG_ENTRIES = 10_000;

/** Mails one FETCH answer carries at most. */
export const MAX_MAIL_PER_FETCH = 100;
/** Envelope bytes one FETCH answer carries at most (one larger envelope still goes alone). */
export const MAX_FETCH_BYTES = 1024 * 1024;
/** Ids one mailbox ACK may carry. */
export const MAX_ACK_IDS = 1000;
/** Message ids one receipt (CONTENT_KINDS.receipt) may carry. */
export const MAX_RECEIPT_IDS = 1000;

/** Message ids one mailbox FORWARD_STATUS request may ask about. */
export const MAX_FORWARD_STATUS_IDS = 1000;
/** Users one LIST_ONLINE page (peer to home, and home to remote) carries at most. */
export const MAX_ONLINE_PAGE = 100;
/** Users one federation SUBSCRIBE may name. */
export const MAX_SUBSCRIBE_USERS = 1000;
/** Users one peer may follow at its rendezvous (its contacts and its rooms' members). */
export const MAX_FOLLOWED = 1000;
/** Usernames one FOLLOW or UNFOLLOW request carries at most. */
export const MAX_FOLLOW_PER_REQUEST = 256;
/** Users one LIST page carries at most. */
export const MAX_LIST_PAGE = 200;
/** Characters of an away text (/away), at most. */
export const MAX_AWAY_CHARS = 200;

/**
 * Liveness on the presence stream (instead of libp2p's ping of every connection every 4 s): the
 * peer sends a request at least every intervalMs ± jitter and expects each answered within
 * replyTimeoutMs; the rendezvous drops a connection that sent nothing for silenceMs, found by a
 * sweep every sweepMs, so a silently dropped peer is offline to its watchers between
 * silenceMs − maxIntervalMs and silenceMs + sweepMs after it stopped (5–30 s, plus the
 * rendezvous's own scheduling).
 */
export const PRESENCE_HEARTBEAT = {
  intervalMs: 20_000,
  jitter: 0.2,
  /** intervalMs × (1 + jitter): the longest pause between two requests. */
  maxIntervalMs: 24_000,
  replyTimeoutMs: 10_000,
  silenceMs: 29_000,
  /** How often the rendezvous looks for silent subscribers (one timer for all of them). */
  sweepMs: 1_000,
} as const;
