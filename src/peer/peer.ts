/**
 * A running peer: a libp2p node with the user's identity, logged in to its rendezvous, with its
 * mail read, its prekeys published, its addresses registered, a live presence feed, and chat
 * links to other peers. The CLI and tests drive it through this class and listen to its events.
 */
import { CONTENT_KINDS } from "../protocol/ids.ts";
import type { PeerId } from "@libp2p/interface";
import { openAtRest } from "../crypto/at_rest.ts";
import { bytesEqual } from "../crypto/bytes.ts";
import { signerFromPrivateKey } from "../crypto/primitives.ts";
import { safetyNumber } from "../crypto/safety_number.ts";
import { logger } from "../log.ts";
import { createNode, type TincanNode } from "../net/node.ts";
import { Content } from "../proto/chat.ts";
import { normalizeUsername } from "../protocol/username.ts";
import { ContactStore } from "./store/contacts.ts";
import { HistoryStore } from "./store/history.ts";
import { OutboxStore } from "./store/outbox.ts";
import { OwnKeyStore } from "./store/own_keys.ts";
import { RatchetSessionStore } from "./store/ratchet_sessions.ts";
import { VERSION } from "../version.ts";
import type { AccountOptions } from "./clients/account.ts";
import { ChatLinks } from "./messaging/chat_links.ts";
import { bodyContext, type ContentHandler, type PeerContext } from "./context.ts";
import { Directory, KeyMismatchError } from "./directory.ts";
import { type MessageIdHex, type PeerEvent, type PeerListener } from "./events.ts";
import { toHex } from "../crypto/bytes.ts";
import { Incoming } from "./messaging/incoming.ts";
import { Mailbox } from "./mailbox.ts";
import { Outgoing } from "./messaging/outgoing.ts";
import { PrekeyManager } from "./prekey_manager.ts";
import type { Profile } from "./profile.ts";
import { connectRendezvous } from "./rendezvous_link.ts";
import { RendezvousSession } from "./rendezvous_session.ts";
import { SessionManager } from "./messaging/session_manager.ts";
import { Trust } from "./trust.ts";

/** How to start a peer. */
export interface PeerOptions extends AccountOptions {
  readonly profile: Profile;
  readonly username: string;
  readonly password: string;
  /** The rendezvous address (with or without /p2p/). */
  readonly rendezvous: string;
  /** Register the account first when this profile has not registered it there yet. */
  readonly register?: boolean;
  /** Where to listen for other peers; default all interfaces on a free port. */
  readonly listen?: readonly string[];
  readonly now?: () => number;
  /**
   * Called with the peer before it accepts any message or logs in: register content handlers
   * (rooms, files …) here, so that nothing arriving during login is refused.
   */
  readonly setup?: (peer: Peer) => void | Promise<void>;
  /**
   * Receives every event from the start, before `start` returns (mail read at login arrives
   * then); the same as calling `on` at once.
   */
  readonly onEvent?: PeerListener;
}

/** One line of history, decrypted. */
export interface HistoryLine {
  readonly id: MessageIdHex;
  readonly peer: string;
  readonly outgoing: boolean;
  readonly sentAt: number;
  readonly text: string;
}

/** A running peer. */
export class Peer {
  readonly #listeners = new Set<PeerListener>();

  private constructor(
    private readonly ctx: PeerContext,
    private readonly outgoing: Outgoing,
    private readonly mailbox: Mailbox,
    private readonly session: RendezvousSession,
  ) {}

  /**
   * Starts the node, connects to the rendezvous (checking its pinned PeerId), registers when
   * asked and needed, logs in, publishes prekeys and addresses, subscribes to presence, and
   * resends what the outbox still holds.
   * @throws RemoteError when the rendezvous refuses (wrong password, throttled …);
   * RendezvousPinError when the rendezvous is not the pinned one.
   */
  static async start(options: PeerOptions): Promise<Peer> {
    const now = options.now ?? Date.now;
    const { profile } = options;
    const username = normalizeUsername(options.username);
    const node = await createNode({
      privateKey: profile.identity,
      listen: options.listen ?? ["/ip4/0.0.0.0/tcp/0"],
      agent: `tincan/${VERSION} peer`,
    });
    try {
      const rendezvous = await connectRendezvous(node, options.rendezvous, profile.db);
      const rendezvousKey = rendezvous.peerId.publicKey;
      if (rendezvousKey === undefined) throw new TypeError("the rendezvous has no public key");
      const log = logger(`peer:${username}`);
      const ownKeys = new OwnKeyStore(profile.db);
      const prekeys = new PrekeyManager(profile.identity, ownKeys, profile.db);
      const contacts = new ContactStore(profile.db);
      const trust = new Trust(contacts, rendezvousKey);
      const ratchetSessions = new RatchetSessionStore(profile.db);
      const signer = signerFromPrivateKey(profile.identity);
      const links = new ChatLinks(node, log);
      const ctx: PeerContext = {
        username,
        profile,
        node,
        signer,
        outbox: new OutboxStore(profile.db),
        history: new HistoryStore(profile.db),
        contacts,
        ratchetSessions,
        ownKeys,
        sessions: new SessionManager(
          { identityKey: signer.publicKey, identityDh: await prekeys.identityDh(now()) },
          ownKeys,
          ratchetSessions,
        ),
        directory: new Directory(node, () => rendezvous.address, trust),
        trust,
        links,
        contentHandlers: new Map(),
        emit: (event) => peer.#emit(event),
        now,
        log,
      };
      const incoming = new Incoming(ctx);
      const mailbox = new Mailbox(node, () => rendezvous.address, log);
      const outgoing = new Outgoing(ctx, {
        deposit: (to, envelope) => mailbox.deposit(to, envelope),
        isOnline: (user): boolean => session.isOnline(user),
      });
      const session = new RendezvousSession(
        ctx,
        options,
        rendezvous,
        prekeys,
        outgoing,
        incoming,
        mailbox,
      );
      const peer = new Peer(ctx, outgoing, mailbox, session);
      if (options.onEvent) peer.#listeners.add(options.onEvent);
      await options.setup?.(peer);
      await links.start({
        onEnvelope: (bytes, from) => incoming.onEnvelope(bytes, from),
        onAck: (ack, from) => incoming.onAck(ack, from),
        onLinkUp: (from) => peer.resendTo(from),
      });
      await session.connect(options.register ?? false);
      for (const to of ctx.outbox.recipientsWithUndelivered()) void outgoing.flush(to);
      session.started();
      return peer;
    } catch (err: unknown) {
      await Promise.resolve(node.stop()).catch(() => {});
      throw err;
    }
  }

  /**
   * Passes `event` to the listeners, unless it settles or queues a quiet message (the peer's
   * own, like a receipt); settled messages and changed keys are noted in the outgoing side.
   */
  #emit(event: PeerEvent): void {
    const settles = event.type === "delivered" || event.type === "failed";
    const quiet = (settles || event.type === "queued") && this.outgoing.isQuiet(event.id);
    if (settles) this.outgoing.settled(event.id);
    if (event.type === "key-changed") this.outgoing.forget(event.username);
    if (!quiet) this.#listeners.forEach((listener) => listener(event));
  }

  /** This peer's username. */
  get username(): string {
    return this.ctx.username;
  }

  /** The libp2p node (tests and benchmarks look at it). */
  get node(): TincanNode {
    return this.ctx.node;
  }

  /** Calls `listener` for every event; returns a function that stops it. */
  on(listener: PeerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Everyone online at the rendezvous now (usernames, sorted). */
  online(): string[] {
    return this.session.online();
  }

  /**
   * Sends `text` to `to`; returns the message id. Delivery is reported by a delivered or failed
   * event; until then the message waits in the outbox and is resent as needed.
   */
  async send(to: string, text: string): Promise<MessageIdHex> {
    return await this.outgoing.write(normalizeUsername(to), text);
  }

  /**
   * Sends another feature's message (`kind` ≠ "") to `to` through the outbox, like `send`; the
   * recipient's handler for `kind` receives `payload`.
   */
  async sendContent(
    to: string,
    kind: string,
    payload: Uint8Array,
    text = "",
  ): Promise<MessageIdHex> {
    if (kind === "") throw new RangeError('kind "" is a chat message: use send()');
    return await this.outgoing.write(normalizeUsername(to), text, kind, payload);
  }

  /**
   * The PeerId of `username` with its current addresses in the node's peer store (for features
   * with their own protocols, like file transfer).
   * @throws RemoteError E_NOT_FOUND for an unknown user; KeyMismatchError when its key changed
   * and is not trusted yet.
   */
  async resolvePeer(username: string): Promise<PeerId> {
    const name = normalizeUsername(username);
    const user = await this.ctx.directory.resolve(name, this.ctx.now());
    if (user.standing === "changed" || user.standing === "blocked") {
      throw new KeyMismatchError(`${name}'s identity key changed; /trust ${name} first`);
    }
    return user.peerId;
  }

  /** The username whose trusted key is `peer`'s, or undefined for a stranger. */
  usernameOf(peer: PeerId): string | undefined {
    const key = peer.publicKey?.raw;
    const contact = key && this.ctx.contacts.byKey(key);
    return contact && bytesEqual(contact.identityKey, key) ? contact.username : undefined;
  }

  /**
   * Leaves the unacknowledged message `id` in its recipient's mailbox now, instead of waiting
   * for a direct acknowledgement. Returns whether it is queued there.
   * @throws RemoteError when the mailbox refuses it; an Error when the rendezvous is unreachable.
   */
  async mailNow(id: MessageIdHex): Promise<boolean> {
    return await this.outgoing.mailNow(id);
  }

  /** Registers the handler of messages of `kind` (one per kind). */
  handleContent(kind: string, handler: ContentHandler): void {
    if (kind === "" || kind === CONTENT_KINDS.receipt || this.ctx.contentHandlers.has(kind)) {
      throw new RangeError(`a handler for "${kind}" is already registered`);
    }
    this.ctx.contentHandlers.set(kind, handler);
    this.session.handlerAdded();
  }

  /** Resends what is unacknowledged for the contact on `peer` (a chat link came up). */
  resendTo(peer: PeerId): void {
    const key = peer.publicKey?.raw;
    const contact = key && this.ctx.contacts.byKey(key);
    if (contact) void this.outgoing.flush(contact.username);
  }

  /**
   * The safety number of this user and `username` (60 digits in 12 groups), from the pinned key.
   * @throws RangeError when `username` is not a contact yet.
   */
  async safetyNumber(username: string): Promise<string> {
    const name = normalizeUsername(username);
    let contact = this.ctx.contacts.get(name);
    if (contact === undefined) {
      await this.ctx.directory.resolve(name, this.ctx.now());
      contact = this.ctx.contacts.get(name);
    }
    if (contact === undefined) throw new RangeError(`${name} is not a contact`);
    return safetyNumber(
      { username: this.ctx.username, identityKey: this.ctx.signer.publicKey },
      { username: name, identityKey: contact.identityKey },
    );
  }

  /** Marks `username` verified (after comparing safety numbers): a later key change blocks. */
  markVerified(username: string): void {
    this.ctx.contacts.setVerified(normalizeUsername(username), true, this.ctx.now());
  }

  /**
   * Trusts `username`'s new identity key and releases the held messages. Returns how many
   * messages were released, or undefined when there was no changed key to trust.
   */
  trust(username: string): number | undefined {
    const name = normalizeUsername(username);
    const now = this.ctx.now();
    if (!this.ctx.contacts.acceptPending(name, now)) return undefined;
    this.outgoing.forget(name);
    const released = this.ctx.outbox.release(name, now);
    void this.outgoing.flush(name);
    return released;
  }

  /** The last `limit` messages with `peer` (all when undefined), oldest first. */
  async history(peer: string | undefined, limit: number): Promise<HistoryLine[]> {
    const rows = this.ctx.history.recent(peer && normalizeUsername(peer), limit);
    const lines: HistoryLine[] = [];
    for (const row of rows) {
      const plaintext = await openAtRest(
        this.ctx.profile.storageKey,
        row.body,
        bodyContext("history", row.messageId),
      );
      lines.push({
        id: toHex(row.messageId),
        peer: row.peer,
        outgoing: row.outgoing,
        sentAt: row.sentAt,
        text: Content.decode(plaintext).text,
      });
    }
    return lines;
  }

  /** Logs out (unregisters), closes every stream and stops the node. */
  async stop(): Promise<void> {
    this.session.stop();
    this.outgoing.close();
    await this.mailbox.close();
    await this.session.leave();
    await this.ctx.links.close().catch(() => {});
    await this.ctx.node.stop();
  }
}

export type { PeerEvent };
