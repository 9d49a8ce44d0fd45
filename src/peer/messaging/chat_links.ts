/**
 * /tincan/chat/1.0.0 — one long-lived stream per pair of peers, used by both sides, carrying
 * signed envelopes and acknowledgements. Frames on one stream are handled in order; a peer
 * answers each envelope with an Ack once it has stored it (or rejected it). Chat runs on relayed
 * ("limited") connections too: it is small, and the relay's limits are sized for hours of it.
 */
import { PROTOCOL } from "../../protocol/ids.ts";
import type { Connection, PeerId, Stream, StreamHandler } from "@libp2p/interface";
import { MAX_ENVELOPE_BYTES } from "../../protocol/limits.ts";
import type { Logger } from "../../log.ts";
import { FramedStream } from "../../net/framed.ts";
import { guarded } from "../../net/serve.ts";
import { isRelayed } from "../../net/address_scope.ts";
import { Ack, ChatFrame } from "../../proto/chat.ts";
import { DIAL_TIMEOUT_MS } from "../../net/dial.ts";

/** Chat frames: an envelope plus a little framing; no deadline between frames (idle is fine). */
export const CHAT_FRAMES = {
  maxFrameBytes: MAX_ENVELOPE_BYTES + 1024,
  readTimeoutMs: 2 ** 31 - 1,
  maxFrames: Infinity,
} as const;

/** Chat streams one connection may open to us at once. */
const MAX_CHAT_STREAMS_PER_CONNECTION = 4;

/** What the links do with what arrives. */
export interface ChatHandlers {
  /**
   * Processes an envelope from `from`, carried `via` a direct or relayed connection, and returns
   * the acknowledgement to send back.
   */
  onEnvelope(envelope: Uint8Array, from: PeerId, via: Carrier): Promise<Ack>;
  /** An acknowledgement of one of our envelopes arrived from `from`. */
  onAck(ack: Ack, from: PeerId): void;
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

type Link = { framed: ChatStream; writes: Promise<unknown>; readonly via: Carrier };

/** The chat streams of this node, by peer. */
export class ChatLinks {
  readonly #links = new Map<string, Link>();
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
   * Sends one envelope to `peer`, opening the chat stream when there is none. Returns the link
   * used: an envelope needs sending again only once that link is gone.
   * @throws when the peer cannot be reached or the stream fails.
   */
  async send(peer: PeerId, envelope: Uint8Array): Promise<LinkToken> {
    const link = this.#live(peer) ?? await this.#open(peer);
    const write = link.writes.then(() => link.framed.write({ envelope }));
    link.writes = write.catch(() => {});
    try {
      await write;
    } catch (err: unknown) {
      if (this.#links.get(peer.toString()) === link) this.#links.delete(peer.toString());
      throw err;
    }
    return link;
  }

  /** Closes every chat stream. */
  async close(): Promise<void> {
    await Promise.all([...this.#links.values()].map((link) => link.framed.close()));
    this.#links.clear();
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
    const framed = existing
      ? new FramedStream<ChatFrame, ChatFrame>(stream, ChatFrame, ChatFrame, CHAT_FRAMES)
      : link.framed;
    this.#read(framed, peer, via).catch((err: unknown) => {
      this.log.debug(`chat stream to ${peer} ended: ${(err as Error).message}`);
    });
    return link;
  }

  #adopt(stream: Stream, peer: PeerId, via: Carrier): Link {
    const framed: ChatStream = new FramedStream(stream, ChatFrame, ChatFrame, CHAT_FRAMES);
    const link: Link = { framed, writes: Promise.resolve(), via };
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
    const framed = this.#live(peer)
      ? new FramedStream<ChatFrame, ChatFrame>(stream, ChatFrame, ChatFrame, CHAT_FRAMES)
      : this.#adopt(stream, peer, via).framed;
    await this.#read(framed, peer, via);
  }

  async #read(framed: ChatStream, peer: PeerId, via: Carrier): Promise<void> {
    while (true) {
      const frame = await framed.readOrEnd();
      if (frame === undefined) break;
      if (frame.ack) this.handlers.onAck(frame.ack, peer);
      if (frame.envelope && frame.envelope.length > 0) {
        const ack = await this.handlers.onEnvelope(frame.envelope, peer, via);
        await framed.write({ envelope: new Uint8Array(0), ack });
      }
    }
    await framed.close();
  }
}
