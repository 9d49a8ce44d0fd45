/**
 * /tincan/chat/1.0.0 — one long-lived stream per pair of peers, used by both sides, carrying
 * signed envelopes and acknowledgements in versioned frames (chat.proto, CHAT_FRAME_VERSION).
 * Envelopes waiting for the same peer while a frame is being written go together in the next
 * one (frame_batch.ts: at most MAX_ENVELOPES_PER_FRAME, at most MAX_CHAT_FRAME_BYTES). Frames on
 * one stream are handled in order; a peer answers each frame of envelopes with Acks, one per
 * envelope, once it has stored them (or rejected them). On the stream that is also its link to
 * the sender, the Acks go in the next frame it writes there: with the reply a message event
 * writes at once (queued within the same turn of the event loop), else alone after that turn —
 * so a reply costs one frame instead of two, and a lone Ack waits one turn at most. A frame may
 * thus carry Acks and envelopes; the Acks are applied first. A frame of another version, too
 * large, or with too many envelopes closes the stream unanswered: its envelopes stay in the
 * sender's outbox and go again. Chat runs on relayed ("limited") connections too: it is small,
 * and the relay's limits are sized for hours of it.
 */
import { PROTOCOL } from "../../protocol/ids.ts";
import type { Connection, PeerId, Stream, StreamHandler } from "@libp2p/interface";
import {
  CHAT_FRAME_VERSION,
  MAX_ACK_REASON_LENGTH,
  MAX_CHAT_FRAME_BYTES,
  MAX_ENVELOPES_PER_FRAME,
} from "../../protocol/limits.ts";
import { ProtocolError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { FramedStream } from "../../net/framed.ts";
import { lazyWindowUpdates } from "../../net/lazy_window_updates.ts";
import { guarded } from "../../net/serve.ts";
import { isRelayed } from "../../net/address_scope.ts";
import { Ack, ChatFrame } from "../../proto/chat.ts";
import { setImmediate } from "node:timers";
import { DIAL_TIMEOUT_MS } from "../../net/dial.ts";
import { takeBatch } from "./frame_batch.ts";

/** Chat frames: up to MAX_CHAT_FRAME_BYTES; no deadline between frames (idle is fine). */
export const CHAT_FRAMES = {
  maxFrameBytes: MAX_CHAT_FRAME_BYTES,
  readTimeoutMs: 2 ** 31 - 1,
  maxFrames: Infinity,
} as const;

/** What one chat frame may carry: more envelopes or Acks than this and it is refused whole. */
export const CHAT_FRAME_COUNTS = {
  limits: { envelopes: MAX_ENVELOPES_PER_FRAME, acks: MAX_ENVELOPES_PER_FRAME },
} as const;

/**
 * A chat stream with the chat frame bounds (size, deadline, envelope and Ack counts), whose
 * window updates go out only once half its receive window is used: a frame of envelopes and its
 * Acks are then two frames on the wire, not four (lazy_window_updates.ts).
 */
export function chatStream(stream: Stream): FramedStream<ChatFrame, ChatFrame> {
  lazyWindowUpdates(stream);
  return new FramedStream(stream, ChatFrame, ChatFrame, CHAT_FRAMES, CHAT_FRAME_COUNTS);
}

/** Chat streams one connection may open to us at once. */
const MAX_CHAT_STREAMS_PER_CONNECTION = 4;

/** What the links do with what arrives. */
export interface ChatHandlers {
  /**
   * Processes the envelopes of one frame from `from`, carried `via` a direct or relayed
   * connection, and returns the acknowledgements to send back (one per envelope, in order), each
   * given only once what it acknowledges is stored.
   */
  onEnvelopes(envelopes: readonly Uint8Array[], from: PeerId, via: Carrier): Promise<Ack[]>;
  /** Acknowledgements of our envelopes arrived from `from` (one frame's worth). */
  onAcks(acks: readonly Ack[], from: PeerId): void;
  /** A chat stream with `peer` opened (either side): time to resend what is unacknowledged. */
  onLinkUp(peer: PeerId): void;
  /**
   * The chat stream we sent to `peer` on closed (a relay's limit, an upgrade to a direct
   * connection, a lost network): what it had not acknowledged must go again, by another path.
   */
  onLinkDown?(peer: PeerId): void;
}

/** What the links use of the node (a TincanNode; tests pass in-memory stream pairs). */
export interface ChatNode {
  /** Serves `protocol` with `handler`. */
  handle(
    protocol: string,
    handler: StreamHandler,
    options: { maxInboundStreams: number; runOnLimitedConnection: true },
  ): Promise<void>;
  /**
   * Opens a `protocol` stream to `peer` (on a relayed connection too).
   * @throws when the peer cannot be reached.
   */
  dialProtocol(
    peer: PeerId,
    protocol: string,
    options: { signal: AbortSignal; runOnLimitedConnection: true },
  ): Promise<Stream>;
  /** How the connection a new stream to `peer` would use carries; direct when not told. */
  carrier?(peer: PeerId): Carrier | undefined;
}

/** How a chat link's connection carries it. */
export type Carrier = "direct" | "relayed";

type ChatStream = FramedStream<ChatFrame, ChatFrame>;

/**
 * One chat stream used for sending, and how it is carried; compare tokens to tell whether the
 * link was replaced.
 */
export interface LinkToken {
  readonly via: Carrier;
}

/** An envelope waiting for the link's next frame, and who waits for it to be written. */
interface Queued {
  readonly envelope: Uint8Array;
  readonly written: () => void;
  readonly failed: (err: unknown) => void;
}

/** The Acks of one frame received, waiting for the link's next frame, and who waits for them. */
interface QueuedAcks {
  readonly acks: readonly Ack[];
  readonly written: () => void;
  readonly failed: (err: unknown) => void;
}

type Link = {
  readonly framed: ChatStream;
  /** The last write on the stream: the next one starts after it. */
  writes: Promise<unknown>;
  readonly via: Carrier;
  /** Envelopes for the next frame. */
  readonly queue: Queued[];
  /** Acks for the next frame (of one frame received at a time: its reader waits for them). */
  readonly acks: QueuedAcks[];
  /** Frames of envelopes read on this stream and not answered yet (their Acks are coming). */
  answering: number;
  /** Whether a write waits for the end of this turn of the event loop (see #drain). */
  deferred: boolean;
  /** Whether a write of queued envelopes is under way (it takes what is queued meanwhile). */
  draining: boolean;
};

/** The chat streams of this node, by peer. */
export class ChatLinks {
  readonly #links = new Map<string, Link>();
  /** Streams being opened, by peer: concurrent sends share one. */
  readonly #opening = new Map<string, Promise<Link>>();
  #handlers?: ChatHandlers;

  constructor(
    private readonly node: ChatNode,
    private readonly log: Logger,
  ) {}

  private get handlers(): ChatHandlers {
    if (this.#handlers === undefined) throw new TypeError("ChatLinks used before start()");
    return this.#handlers;
  }

  /** Starts answering chat streams, passing what arrives to `handlers`. */
  async start(handlers: ChatHandlers): Promise<void> {
    this.#handlers = handlers;
    await this.node.handle(
      PROTOCOL.chat,
      guarded(this.log, (stream, connection) => this.#serve(stream, connection)),
      { maxInboundStreams: MAX_CHAT_STREAMS_PER_CONNECTION, runOnLimitedConnection: true },
    );
  }

  /** The link that sends to `peer` now, or undefined when there is none. */
  current(peer: PeerId): LinkToken | undefined {
    return this.#live(peer);
  }

  /** The link to `peer` if its stream can still carry frames; a dead one is forgotten. */
  #live(peer: PeerId) {
    const link = this.#links.get(peer.toString());
    if (link === undefined) return undefined;
    const { stream } = link.framed;
    if (stream.status === "open" && stream.writeStatus === "writable") return link;
    this.#links.delete(peer.toString());
    return undefined;
  }

  /**
   * Sends one envelope to `peer`, opening the chat stream when there is none; envelopes sent
   * while a frame is being written go together in the next frame. Resolves once its frame is
   * written, with the link used: an envelope needs sending again only once that link is gone.
   * @throws when the peer cannot be reached or the stream fails.
   */
  async send(peer: PeerId, envelope: Uint8Array): Promise<LinkToken> {
    const link = this.#live(peer) ?? await this.#opened(peer);
    try {
      await new Promise<void>((written, failed) => {
        link.queue.push({ envelope, written, failed });
        this.#drain(link);
      });
    } catch (err: unknown) {
      if (this.#links.get(peer.toString()) === link) this.#links.delete(peer.toString());
      throw err;
    }
    return link;
  }

  /**
   * Writes what is queued on `link` — its Acks and as many envelopes as fit beside them — a frame
   * at a time, unless a write already does. While a frame read on the link is being answered, the
   * write waits for the end of this turn of the event loop (`now` = that turn is over), so that
   * an envelope sent from that frame's handlers goes with its Acks.
   */
  #drain(link: Link, now = false): void {
    if (link.draining) return;
    if (link.answering > 0 && !now) {
      if (!link.deferred) {
        link.deferred = true;
        setImmediate(() => {
          link.deferred = false;
          this.#drain(link, true);
        });
      }
      return;
    }
    link.draining = true;
    const run = async () => {
      try {
        while (link.queue.length > 0 || link.acks.length > 0) {
          const answers = link.acks.splice(0, link.acks.length);
          const acks = ackFrame(answers.flatMap((a) => a.acks));
          const reserved = acks.acks.length === 0 ? 0 : ChatFrame.encode(acks).length;
          const batch = takeBatch(link.queue, (q) => q.envelope.length, reserved);
          const waiting = [...answers, ...batch];
          try {
            await link.framed.write({ ...acks, envelopes: batch.map((q) => q.envelope) });
            for (const w of waiting) w.written();
          } catch (err: unknown) {
            for (const w of waiting) w.failed(err);
          }
        }
      } finally {
        link.draining = false;
      }
    };
    link.writes = link.writes.then(run);
  }

  /**
   * Processes the `envelopes` of a frame from `peer` read on `framed` and answers with their Acks:
   * in the next frame of `peer`'s link when `framed` is that link's stream (after this turn of
   * the event loop, so that a reply queued meanwhile goes with them), else in a frame of their
   * own. Resolves once written.
   * @throws when processing or the stream fails.
   */
  async #answer(
    framed: ChatStream,
    peer: PeerId,
    envelopes: readonly Uint8Array[],
    via: Carrier,
  ): Promise<void> {
    const link = this.#links.get(peer.toString());
    if (link?.framed !== framed) {
      await framed.write(ackFrame(await this.handlers.onEnvelopes(envelopes, peer, via)));
      return;
    }
    link.answering++;
    let acks: Ack[];
    try {
      acks = await this.handlers.onEnvelopes(envelopes, peer, via);
    } catch (err: unknown) {
      link.answering--;
      throw err;
    }
    await new Promise<void>((written, failed) => {
      link.acks.push({ acks, written, failed });
      link.answering--;
      setImmediate(() => this.#drain(link, true));
    });
  }

  /**
   * Sends an acknowledgement that answers no envelope on this link — a SESSION_RESET for mail
   * that could not be decrypted (session_reset.ts) — opening the chat stream when there is none.
   * @throws when the peer cannot be reached or the stream fails.
   */
  async sendAck(peer: PeerId, ack: Ack): Promise<void> {
    const link = this.#live(peer) ?? await this.#opened(peer);
    const write = link.writes.then(() => link.framed.write(ackFrame([ack])));
    link.writes = write.catch(() => {});
    await write;
  }

  /** Closes every chat stream. */
  async close(): Promise<void> {
    await Promise.all([...this.#links.values()].map((link) => link.framed.close()));
    this.#links.clear();
  }

  /** The link being opened to `peer`, or a new one. */
  #opened(peer: PeerId): Promise<Link> {
    const key = peer.toString();
    let opening = this.#opening.get(key);
    if (opening === undefined) {
      opening = this.#open(peer).finally(() => this.#opening.delete(key));
      this.#opening.set(key, opening);
    }
    return opening;
  }

  async #open(peer: PeerId): Promise<Link> {
    const stream = await this.node.dialProtocol(peer, PROTOCOL.chat, {
      signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
      runOnLimitedConnection: true,
    });
    const via = this.node.carrier?.(peer) ?? "direct";
    // When the peer opened a stream to us meanwhile (both sides dialled at once), keep both: the
    // peer may already be writing on this one, having adopted it as its link to us. Aborting it
    // here, as the peer aborts ours, would leave neither side a working link.
    const existing = this.#live(peer);
    const link = existing ?? this.#adopt(stream, peer, via);
    const framed = existing ? chatStream(stream) : link.framed;
    this.#read(framed, peer, via).catch((err: unknown) => {
      this.log.debug(`chat stream to ${peer} ended: ${(err as Error).message}`);
      framed.abort(err instanceof Error ? err : new Error(String(err)));
    });
    return link;
  }

  #adopt(stream: Stream, peer: PeerId, via: Carrier): Link {
    const framed = chatStream(stream);
    const link: Link = {
      framed,
      writes: Promise.resolve(),
      via,
      queue: [],
      acks: [],
      answering: 0,
      deferred: false,
      draining: false,
    };
    this.#links.set(peer.toString(), link);
    stream.addEventListener("close", () => {
      if (this.#links.get(peer.toString()) !== link) return;
      this.#links.delete(peer.toString());
      queueMicrotask(() => this.handlers.onLinkDown?.(peer));
    });
    queueMicrotask(() => this.handlers.onLinkUp(peer));
    return link;
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer;
    // A relayed connection has the relay's limits, or at least a /p2p-circuit address.
    const via: Carrier = connection.limits !== undefined || isRelayed(connection.remoteAddr)
      ? "relayed"
      : "direct";
    const framed = this.#live(peer) ? chatStream(stream) : this.#adopt(stream, peer, via).framed;
    await this.#read(framed, peer, via);
  }

  async #read(framed: ChatStream, peer: PeerId, via: Carrier): Promise<void> {
    while (true) {
      const frame = await framed.readOrEnd();
      if (frame === undefined) break;
      if (frame.version !== CHAT_FRAME_VERSION) {
        const why = `${peer} sent a chat frame of version ${frame.version}; this peer speaks ` +
          `version ${CHAT_FRAME_VERSION} only (version 0 is the single-envelope format of ` +
          "tincan before batched frames): closing the stream, nothing in it is acknowledged";
        this.log.warn(why);
        throw new ProtocolError(why);
      }
      if (frame.acks.length > 0) this.handlers.onAcks(frame.acks, peer);
      if (frame.envelopes.length > 0) await this.#answer(framed, peer, frame.envelopes, via);
    }
    await framed.close();
  }
}

/** A frame of acknowledgements, their reasons cut to MAX_ACK_REASON_LENGTH. */
function ackFrame(acks: readonly Ack[]): ChatFrame {
  return {
    version: CHAT_FRAME_VERSION,
    envelopes: [],
    acks: acks.map((ack) =>
      ack.reason.length > MAX_ACK_REASON_LENGTH
        ? { ...ack, reason: ack.reason.slice(0, MAX_ACK_REASON_LENGTH) }
        : ack
    ),
  };
}
