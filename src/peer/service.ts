/**
 * A peer feature as a service (rooms, files …): a factory that receives narrow ports — send
 * content, resolve a user, open a stream, the profile's database — and returns an object that
 * declares the content kinds and protocols it handles. The peer builds every service in
 * createPeer, before it starts, so a handler exists for everything that can arrive at login.
 */
import type { PeerId, Stream } from "@libp2p/interface";
import type { Logger } from "../log.ts";
import type { MessageIdHex, PeerEvent } from "./events.ts";
import type { Profile } from "./profile.ts";

/** Another feature's message, delivered to the handler of its content kind. */
export interface ContentMessage {
  readonly id: MessageIdHex;
  readonly from: string;
  readonly sentAt: number;
  readonly text: string;
  readonly payload: Uint8Array;
}

/**
 * What a content handler leaves for the message's own commit: `write` runs in the transaction
 * that stores the message as received (its seen id, the advanced session), so that both are
 * stored or neither, and one commit does it; `committed` runs once that is committed.
 */
export interface ContentWrites {
  readonly write: () => void;
  readonly committed: () => void;
}

/**
 * Handles the messages of one content kind. It runs before the message is acknowledged; throwing
 * rejects it. It commits its own writes, or returns them to be made in the message's commit. It
 * must be idempotent by message id (it may see a message again after a crash).
 */
export type ContentHandler = (
  message: ContentMessage,
) => void | ContentWrites | Promise<void | ContentWrites | undefined>;

/** Serves one protocol on the peer's node, for a stream opened by `remote`. */
export type StreamHandler = (stream: Stream, remote: PeerId) => Promise<void>;

/** A protocol a service serves. */
export interface ServedProtocol {
  readonly handler: StreamHandler;
  /** Streams of it one connection may open at once. */
  readonly maxInboundStreams: number;
}

/** Sends a feature's message through the outbox (encrypted, signed, resent until acknowledged). */
export interface ContentSender {
  /**
   * Sends `payload` of `kind` (≠ "") to `to`, with an optional `text`; returns the message id.
   * The recipient's handler of `kind` receives it; a failed peer event reports a failure.
   */
  sendContent(to: string, kind: string, payload: Uint8Array, text?: string): Promise<MessageIdHex>;
  /**
   * Sends the same `payload` to each of `recipients`, as sendContent does, all written to the
   * outbox in one commit (all or none); returns their message ids, in order.
   */
  sendContentToAll(
    recipients: readonly string[],
    kind: string,
    payload: Uint8Array,
    text?: string,
  ): Promise<MessageIdHex[]>;
}

/** Users to PeerIds and back, by the trusted keys. */
export interface UserResolver {
  /**
   * The PeerId of `username`, its current addresses put in the node's peer store.
   * @throws RemoteError E_NOT_FOUND for an unknown user; KeyMismatchError when its key changed
   * and is not trusted yet.
   */
  resolvePeer(username: string): Promise<PeerId>;
  /** The username whose trusted key is `peer`'s, or undefined for a stranger. */
  usernameOf(peer: PeerId): string | undefined;
}

/** Opens streams of a service's own protocols. */
export interface StreamOpener {
  /**
   * Opens a `protocol` stream to `peer` (dialling it when needed).
   * @throws when the peer cannot be reached or `signal` aborts.
   */
  openStream(peer: PeerId, protocol: string, signal: AbortSignal): Promise<Stream>;
}

/** Presence at the rendezvous, as a service sees it. */
export interface OnlineList {
  /**
   * Everyone online now but us (usernames, sorted), read from the rendezvous page by page.
   * @throws RemoteError when the peer is not connected to the rendezvous.
   */
  everyone(): Promise<string[]>;
  /**
   * Makes the users this service follows the presence of exactly `names` (all its rooms'
   * members): those it no longer names are unfollowed unless a contact or another service still
   * needs them. Failures are logged, never thrown; going over MAX_FOLLOWED is shown as a notice.
   */
  setFollowed(names: readonly string[]): void;
}

/** What the peer hands each service factory; a service keeps only the ports it uses. */
export interface ServicePorts {
  /** Our username. */
  readonly username: string;
  /** The profile: its database, storage key and identity. */
  readonly profile: Profile;
  readonly now: () => number;
  readonly log: Logger;
  readonly content: ContentSender;
  readonly users: UserResolver;
  readonly streams: StreamOpener;
  readonly presence: OnlineList;
  /** Our home's name, once the rendezvous said it (undefined before, or when it never does). */
  readonly home: () => string | undefined;
}

/** What a service declares to the peer that runs it. */
export interface Service {
  /** The handlers of the content kinds this service handles, by kind. */
  readonly contentHandlers?: Readonly<Record<string, ContentHandler>>;
  /** The protocols this service serves, by protocol id. */
  readonly protocols?: Readonly<Record<string, ServedProtocol>>;
  /** Sees every peer event (after the peer's own listeners were added). */
  onPeerEvent?(event: PeerEvent): void;
  /** The peer is logged in (resume work an earlier run left). */
  started?(): void;
  /** The peer is stopping: stop streams and timers (progress is kept for the next run). */
  stop?(): Promise<void>;
}

/** Makes a service from the ports of the peer that runs it. */
export type ServiceFactory<T extends Service = Service> = (ports: ServicePorts) => T;

/** Service factories by name, as given to createPeer. */
export type ServiceFactories = Readonly<Record<string, ServiceFactory>>;

/** The services `F` makes, by the same names. */
export type ServicesOf<F extends ServiceFactories> = {
  readonly [K in keyof F]: ReturnType<F[K]>;
};
