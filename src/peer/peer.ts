/**
 * A running peer: a libp2p node with the user's identity, logged in to its rendezvous, with its
 * mail read, its prekeys published, its addresses registered, a live presence feed, and chat
 * links to other peers. The CLI and tests drive it through this class and listen to its events.
 */
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { openAtRest } from "../crypto/at_rest.ts";
import { bytesEqual } from "../crypto/bytes.ts";
import { signerFromPrivateKey } from "../crypto/primitives.ts";
import { safetyNumber } from "../crypto/safety_number.ts";
import { verifyCertificate } from "../crypto/statements.ts";
import { RemoteError } from "../errors.ts";
import { logger } from "../log.ts";
import { createNode, type TincanNode } from "../net/node.ts";
import { sealPeerRecord } from "../net/peer_record.ts";
import { Content } from "../proto/chat.ts";
import { Receipt, type Refusal } from "../proto/mailbox.ts";
import { normalizeUsername } from "../rendezvous/username.ts";
import { ContactStore } from "../store/contacts.ts";
import { HistoryStore } from "../store/history.ts";
import { OutboxStore } from "../store/outbox.ts";
import { OwnKeyStore } from "../store/own_keys.ts";
import { RatchetSessionStore } from "../store/ratchet_sessions.ts";
import { getSetting, setSetting } from "../store/settings.ts";
import { VERSION } from "../version.ts";
import { type AccountOptions, login, registerAccount } from "./account_client.ts";
import { ChatLinks } from "./chat_links.ts";
import { bodyContext, type ContentHandler, type PeerContext } from "./context.ts";
import { Directory, KeyMismatchError } from "./directory.ts";
import { DiscoveryClient } from "./discovery_client.ts";
import { type MessageIdHex, type PeerEvent, type PeerListener, toHex } from "./events.ts";
import { Incoming, RECEIPT_KIND } from "./incoming.ts";
import { Mailbox } from "./mailbox.ts";
import type { FetchedMail } from "./mailbox_client.ts";
import { Outgoing } from "./outgoing.ts";
import { PrekeyManager } from "./prekey_manager.ts";
import type { Profile } from "./profile.ts";
import { type PresenceFeed, subscribePresence } from "./presence_client.ts";
import { connectRendezvous } from "./rendezvous_link.ts";
import { SessionManager } from "./session_manager.ts";
import { Trust } from "./trust.ts";

/** The rendezvous namespace peers register their addresses in. */
export const PEER_NAMESPACE = "tincan/peers";
/** Registrations are refreshed this often, well inside the 2 h default TTL. */
export const ANNOUNCE_INTERVAL_MS = 60 * 60 * 1000;
/**
 * The mailbox is read at login, and then this often while online: mail deposited by a sender
 * who did not yet know we were back arrives within this time.
 */
export const MAIL_POLL_INTERVAL_MS = 30_000;
/** The multiaddr code of /p2p/. */
const P2P_CODE = 421;

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
  readonly #online = new Map<string, string>();
  #presence?: PresenceFeed;
  #discovery?: DiscoveryClient;
  #announcing?: ReturnType<typeof setInterval>;
  #polling?: ReturnType<typeof setInterval>;
  /** Whether `start` returned: until then, mail of a kind without a handler is deferred. */
  #started = false;
  /** Whether mail was deferred for want of a handler: registering one reads the mailbox. */
  #deferredMail = false;
  #stopping = false;

  private constructor(
    private readonly ctx: PeerContext,
    private readonly outgoing: Outgoing,
    private readonly rendezvous: { readonly peerId: PeerId; readonly address: Multiaddr },
    private readonly prekeys: PrekeyManager,
    private readonly options: PeerOptions,
    private readonly incoming: Incoming,
    private readonly mailbox: Mailbox,
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
      const listeners = new Set<PeerListener>();
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
        emit: (event) => listeners.forEach((listener) => listener(event)),
        now,
        log,
      };
      const incoming = new Incoming(ctx);
      const mailbox = new Mailbox(node, () => rendezvous.address, log);
      const outgoing = new Outgoing(ctx, {
        deposit: (to, envelope) => mailbox.deposit(to, envelope),
        isOnline: (user): boolean => peer.#online.has(user),
      });
      const peer = new Peer(ctx, outgoing, rendezvous, prekeys, options, incoming, mailbox);
      if (options.onEvent) peer.#listeners.add(options.onEvent);
      listeners.add((event) => {
        const settles = event.type === "delivered" || event.type === "failed";
        const quiet = (settles || event.type === "queued") && outgoing.isQuiet(event.id);
        if (settles) outgoing.settled(event.id);
        if (event.type === "key-changed") outgoing.forget(event.username);
        if (!quiet) peer.#listeners.forEach((listener) => listener(event));
      });
      await options.setup?.(peer);
      await links.start({
        onEnvelope: (bytes, from) => incoming.onEnvelope(bytes, from),
        onAck: (ack, from) => incoming.onAck(ack, from),
        onLinkUp: (from) => peer.resendTo(from),
      });
      await peer.#connect(options.register ?? false);
      for (const to of ctx.outbox.recipientsWithUndelivered()) void outgoing.flush(to);
      peer.#started = true;
      return peer;
    } catch (err: unknown) {
      await Promise.resolve(node.stop()).catch(() => {});
      throw err;
    }
  }

  /**
   * The session with the rendezvous: register (when asked, once per profile and rendezvous),
   * log in, check our own certificate, publish prekeys and addresses, follow presence.
   */
  async #connect(register: boolean): Promise<void> {
    const { ctx, options } = this;
    const { db } = ctx.profile;
    const { address, peerId } = this.rendezvous;
    const registered = `registered:${peerId}:${ctx.username}`;
    let taken = false;
    if (register && getSetting(db, registered) === undefined) {
      try {
        await registerAccount(ctx.node, address, ctx.username, options.password, options);
      } catch (err: unknown) {
        // Taken: perhaps by this profile in a run that stopped before it could note it.
        if (!(err instanceof RemoteError && err.status === "E_USERNAME_TAKEN")) throw err;
        taken = true;
      }
    }
    let account;
    try {
      account = await login(ctx.node, address, ctx.username, options.password, options);
    } catch (err: unknown) {
      if (taken && err instanceof RemoteError && err.status === "E_LOGIN_FAILED") {
        throw new RemoteError(
          `Cannot register ${ctx.username}: the name is taken (if it is yours, the password is wrong)`,
          "E_USERNAME_TAKEN",
        );
      }
      throw err;
    }
    await verifyCertificate(account.certificate, peerId.publicKey!, ctx.now());
    if (getSetting(db, registered) === undefined) setSetting(db, registered, String(ctx.now()));
    if (account.keyChanged) {
      ctx.emit({
        type: "notice",
        text: "this device's key is new for your account: your contacts will see a key change",
      });
    }
    await this.#readMail(); // mail first, before anyone can reach us directly
    await this.prekeys.publish(ctx.node, address, ctx.now());
    await this.#announce();
    await this.#watchPresence();
    void this.#readMail(); // what was mailed while we were announcing
    clearInterval(this.#polling);
    this.#polling = setInterval(() => void this.#readMail(), MAIL_POLL_INTERVAL_MS);
    clearInterval(this.#announcing);
    this.#announcing = setInterval(() => {
      this.#announce().catch((err: unknown) => {
        this.ctx.log.warn(`refreshing our addresses failed: ${(err as Error).message}`);
      });
    }, ANNOUNCE_INTERVAL_MS);
  }

  /** After losing the rendezvous: try again with growing pauses until it works or we stop. */
  async #reconnect(): Promise<void> {
    for (let attempt = 0; !this.#stopping; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** attempt, 30_000)));
      if (this.#stopping) return;
      try {
        await this.#connect(false);
        this.ctx.emit({
          type: "notice",
          text: "reconnected to the rendezvous",
          rendezvous: "back",
        });
        for (const to of this.ctx.outbox.recipientsWithUndelivered()) void this.outgoing.flush(to);
        return;
      } catch (err: unknown) {
        this.ctx.log.debug(`reconnecting failed: ${(err as Error).message}`);
        if (err instanceof RemoteError && err.status === "E_LOGIN_FAILED") {
          this.ctx.emit({ type: "notice", text: `cannot log in again: ${err.message}` });
          return;
        }
      }
    }
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
    return [...this.#online.keys()].sort();
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
    if (kind === "" || kind === RECEIPT_KIND || this.ctx.contentHandlers.has(kind)) {
      throw new RangeError(`a handler for "${kind}" is already registered`);
    }
    this.ctx.contentHandlers.set(kind, handler);
    if (this.#deferredMail) {
      this.#deferredMail = false;
      queueMicrotask(() => void this.#readMail()); // after the other handlers registered with it
    }
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
    this.#stopping = true;
    clearInterval(this.#announcing);
    clearInterval(this.#polling);
    this.outgoing.close();
    await this.mailbox.close();
    await this.#discovery?.unregister(PEER_NAMESPACE).catch(() => {});
    await this.#discovery?.close().catch(() => {});
    await this.#presence?.close().catch(() => {});
    await this.ctx.links.close().catch(() => {});
    await this.ctx.node.stop();
  }

  /** Reads our mailbox until it is empty; failures are logged (the next poll tries again). */
  async #readMail(): Promise<void> {
    try {
      const deferUnhandled = !this.#started; // decided when the read starts
      await this.mailbox.fetchAll((mail) => this.#processMail(mail, deferUnhandled));
    } catch (err: unknown) {
      if (!this.#stopping) {
        this.ctx.log.warn(`reading the mailbox failed: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Processes fetched mail in order, then writes one receipt to each sender (through the outbox,
   * so it survives a restart) before the batch is acknowledged. Returns the ids processed.
   */
  async #processMail(mail: readonly FetchedMail[], deferUnhandled: boolean): Promise<bigint[]> {
    const receipts = new Map<string, { delivered: Uint8Array[]; refused: Refusal[] }>();
    const done: bigint[] = [];
    try {
      for (const m of mail) {
        if (this.#stopping) break;
        const outcome = await this.incoming.onMail(m.envelope, deferUnhandled);
        if (outcome.deferred) {
          this.#deferredMail = true;
          continue;
        }
        done.push(m.id);
        if (outcome.from === undefined || outcome.messageId === undefined || outcome.receipt) {
          continue;
        }
        let receipt = receipts.get(outcome.from);
        if (receipt === undefined) {
          receipts.set(outcome.from, receipt = { delivered: [], refused: [] });
        }
        if (outcome.delivered) receipt.delivered.push(outcome.messageId);
        else receipt.refused.push({ messageId: outcome.messageId, reason: outcome.reason ?? "" });
      }
    } finally {
      for (const [to, receipt] of receipts) {
        await this.outgoing.write(to, "", RECEIPT_KIND, Receipt.encode(receipt), true);
      }
    }
    return done;
  }

  async #announce(): Promise<void> {
    const record = await sealPeerRecord(
      this.ctx.profile.identity,
      this.ctx.node.getMultiaddrs().map((a) => a.decapsulateCode(P2P_CODE)),
      BigInt(this.ctx.now()),
    );
    await this.#discovery?.close().catch(() => {});
    this.#discovery = await DiscoveryClient.open(this.ctx.node, this.rendezvous.address);
    await this.#discovery.register(PEER_NAMESPACE, record);
  }

  async #watchPresence(): Promise<void> {
    const feed = await subscribePresence(this.ctx.node, this.rendezvous.address);
    this.#presence = feed;
    void (async () => {
      try {
        for await (const change of feed.events) {
          this.#onPresence(change.username, change.online, change.peerId);
        }
      } catch (err: unknown) {
        this.ctx.log.debug(`presence feed ended: ${(err as Error).message}`);
      }
      if (this.#stopping) return;
      this.#online.clear();
      this.ctx.emit({
        type: "notice",
        text: "lost the connection to the rendezvous; retrying",
        rendezvous: "lost",
      });
      await this.#reconnect();
    })();
  }

  #onPresence(username: string, online: boolean, peerId: string): void {
    if (username === this.ctx.username) return;
    const was = this.#online.has(username);
    if (online) {
      this.#online.set(username, peerId);
      if (!was) this.ctx.emit({ type: "presence", username, online });
      this.outgoing.forget(username); // it may be back with new addresses or a new key
      void this.outgoing.flush(username);
    } else if (this.#online.get(username) === peerId) {
      this.#online.delete(username);
      this.ctx.emit({ type: "presence", username, online });
      // What it did not acknowledge goes to its mailbox.
      this.outgoing.forget(username);
      void this.outgoing.flush(username);
    }
  }
}

export type { PeerEvent };
