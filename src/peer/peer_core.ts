/**
 * The life of a peer — its stores and services made, `start` (running_peer.ts wires what runs),
 * events to listeners and services, `stop` — and what its services call it for: sending
 * content, resolving users, streams, everyone online, following presence. Peer (peer.ts) adds
 * the chat API on top.
 */
import type { PeerId } from "@libp2p/interface";
import { bytesEqual } from "../crypto/bytes.ts";
import { type Signer, signerFromPrivateKey } from "../crypto/primitives.ts";
import { type Logger, logger } from "../log.ts";
import type { TincanNode } from "../net/node.ts";
import { CONTENT_KINDS } from "../protocol/ids.ts";
import { MAX_LIST_PAGE } from "../protocol/limits.ts";
import { normalizeUsername } from "../protocol/username.ts";
import type { OnlinePage } from "./clients/presence.ts";
import { ContactTrust } from "./contact_trust.ts";
import { KeyMismatchError } from "./directory.ts";
import type { MessageIdHex, PeerEvent, PeerListener } from "./events.ts";
import { CONTACTS_SOURCE } from "./followed_users.ts";
import { HomeName } from "./names.ts";
import { OnlineUsers } from "./online_users.ts";
import type { PeerOptions } from "./peer_options.ts";
import { type RunningPeer, startRunningPeer } from "./running_peer.ts";
import type {
  ContentHandler,
  ServedProtocol,
  Service,
  ServiceFactories,
  ServicePorts,
  ServicesOf,
} from "./service.ts";
import { StorageGuard } from "./storage_guard.ts";
import { openPeerStores, type PeerStores } from "./store/peer_stores.ts";
import { isAccepted } from "./trust.ts";

/** A peer's life cycle and its services' ports; Peer is the class to use. */
export abstract class PeerCore<F extends ServiceFactories> {
  /** This peer's username (normalized). */
  readonly username: string;
  /** The services, by the names given to createPeer. */
  readonly services: ServicesOf<F>;
  protected readonly options: PeerOptions<F>;
  protected readonly now: () => number;
  protected readonly signer: Signer;
  protected readonly stores: PeerStores;
  /** Who is online among the users we follow. */
  protected readonly onlineUsers = new OnlineUsers();
  protected readonly contactTrust: ContactTrust;
  /** Our home's name (learned after login) and the names of other nodes' users. */
  protected readonly names = new HomeName();
  readonly #log: Logger;
  readonly #listeners = new Set<PeerListener>();
  readonly #handlers = new Map<string, ContentHandler>();
  readonly #protocols = new Map<string, ServedProtocol>();
  #running: RunningPeer | undefined = undefined;
  #starting = false;
  /** A full disk is waited out; a damaged database stops the peer. */
  readonly #storage: StorageGuard;
  /** Over MAX_FOLLOWED since the last follow that worked (its notice is shown once). */
  #overFollowed = false;

  /** createPeer: builds the services; nothing runs until `start`. */
  constructor(options: PeerOptions<F>) {
    this.options = options;
    this.username = normalizeUsername(options.username);
    this.now = options.now ?? Date.now;
    this.#log = logger(`peer:${this.username}`);
    this.#storage = new StorageGuard({
      dir: options.profile.dir,
      emit: (event) => this.emit(event),
      stop: () => void this.stop(),
    });
    this.signer = signerFromPrivateKey(options.profile.identity);
    this.stores = openPeerStores(options.profile);
    this.contactTrust = new ContactTrust({
      self: { username: this.username, identityKey: this.signer.publicKey },
      contacts: this.stores.contacts,
      outbox: this.stores.outbox,
      storageKey: options.profile.storageKey,
      now: this.now,
      running: () => {
        const { trust, directory, outgoing, incoming } = this.run;
        return { trust, directory, outgoing, recertify: (u) => incoming.recertify(u) };
      },
    });
    const ports: Omit<ServicePorts, "presence"> = {
      username: this.username,
      profile: options.profile,
      now: this.now,
      log: this.#log,
      content: {
        sendContent: (to, kind, payload, text) => this.sendContent(to, kind, payload, text),
        sendContentToAll: (recipients, kind, payload, text) =>
          this.sendContentToAll(recipients, kind, payload, text),
      },
      users: {
        resolvePeer: (username) => this.resolvePeer(username),
        usernameOf: (peer) => this.usernameOf(peer),
      },
      streams: {
        // Never on a relayed connection: file data waits for a direct one.
        openStream: (peer, protocol, signal) =>
          this.run.router.openStream(peer, protocol, signal, false),
      },
      home: () => this.names.name,
    };
    const services: Record<string, Service> = {};
    for (const [name, factory] of Object.entries(options.services ?? {})) {
      const service = factory({
        ...ports,
        presence: {
          everyone: () => this.everyoneOnline(),
          setFollowed: (names) => this.#followQuietly(`service:${name}`, names, true),
        },
      });
      this.#install(name, service);
      services[name] = service;
    }
    this.services = services as ServicesOf<F>;
  }

  /** Adds the content handlers and protocols `service` declares. */
  #install(name: string, service: Service): void {
    for (const [kind, handler] of Object.entries(service.contentHandlers ?? {})) {
      if (kind === "" || kind === CONTENT_KINDS.receipt || this.#handlers.has(kind)) {
        throw new RangeError(`service ${name}: content kind "${kind}" is taken`);
      }
      this.#handlers.set(kind, handler);
    }
    for (const [id, served] of Object.entries(service.protocols ?? {})) {
      if (this.#protocols.has(id)) throw new RangeError(`service ${name}: ${id} is taken`);
      this.#protocols.set(id, served);
    }
  }

  /** The parts of the running peer. */
  protected get run(): RunningPeer {
    if (this.#running === undefined) throw new TypeError(`${this.username}'s peer is not started`);
    return this.#running;
  }

  /** The parts of the running peer, or undefined when it is not running. */
  protected get running(): RunningPeer | undefined {
    return this.#running;
  }

  /**
   * Starts the node, serves the services' protocols, connects to the rendezvous (checking its
   * pinned PeerId), registers when asked and needed, logs in, reads the mail, publishes prekeys
   * and addresses, subscribes to presence, and resends what the outbox still holds.
   * @throws RemoteError when the rendezvous refuses (wrong password, throttled …);
   * RendezvousPinError when the rendezvous is not the pinned one; TypeError when started twice;
   * ProfileError when the profile's database is damaged or its disk full (a local cause).
   */
  async start(): Promise<void> {
    if (this.#starting) throw new TypeError(`${this.username}'s peer is already started`);
    this.#starting = true;
    await startRunningPeer({
      options: this.options,
      username: this.username,
      signer: this.signer,
      stores: this.stores,
      names: this.names,
      online: this.onlineUsers,
      handlers: this.#handlers,
      protocols: this.#protocols,
      services: Object.values<Service>(this.services),
      storage: this.#storage,
      now: this.now,
      log: this.#log,
      emit: (event) => this.emit(event),
      running: () => this.running,
      setRunning: (running) => this.#running = running,
      usernameOf: (peer) => this.usernameOf(peer),
      resendTo: (peer) => this.#resendTo(peer),
      followContact: (name) => this.followContact(name),
    });
  }

  /** Passes `event` to the listeners, then to the services. */
  protected emit(event: PeerEvent): void {
    this.#listeners.forEach((listener) => listener(event));
    for (const service of Object.values<Service>(this.services)) service.onPeerEvent?.(event);
  }

  /** The libp2p node (tests and benchmarks look at it). */
  get node(): TincanNode {
    return this.run.node;
  }

  /** Calls `listener` for every event; returns a function that stops it. */
  on(listener: PeerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Follows the presence of `username`, one we talk to; failures are not thrown. */
  protected followContact(username: string): void {
    this.#followQuietly(CONTACTS_SOURCE, [username]);
  }

  /**
   * Follows `names` too for `source` (contacts, a service), or makes them all it follows with
   * `replace` (those it drops are unfollowed unless needed elsewhere). A failure is logged, not
   * thrown; going over MAX_FOLLOWED is also shown as a notice, once until following works again.
   */
  #followQuietly(source: string, names: readonly string[], replace = false): void {
    const connection = this.running?.connection;
    if (connection === undefined) return;
    (async () => {
      const stored = names.map((name) => this.names.canonical(name));
      if (replace) await connection.setFollowed(source, stored);
      else await connection.follow(stored, source);
    })().then(() => this.#overFollowed = false, (err: unknown) => {
      this.#log.warn(`cannot follow ${names.join(", ")}: ${(err as Error).message}`);
      if (!(err instanceof RangeError) || this.#overFollowed) return;
      this.#overFollowed = true;
      this.emit({ type: "notice", text: `${err.message}; the newest are not followed` });
    });
  }

  /**
   * One page (at most `limit`, ≤ MAX_LIST_PAGE) of everyone online at the rendezvous, sorted by
   * username, after `cursor` (the previous page's `next`).
   * @throws RemoteError when not connected to the rendezvous.
   */
  async listOnline(cursor?: string, limit: number = MAX_LIST_PAGE): Promise<OnlinePage> {
    return await this.run.connection.list(cursor, limit);
  }

  /**
   * Everyone online at the rendezvous but us (usernames, sorted), read page by page.
   * @throws RemoteError when not connected to the rendezvous.
   */
  async everyoneOnline(): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listOnline(cursor);
      names.push(...page.users.map((u) => u.username).filter((u) => u !== this.username));
      cursor = page.next;
    } while (cursor !== undefined);
    return names;
  }

  /**
   * Sends another feature's message (`kind` ≠ "") to `to` through the outbox, like `send`; the
   * recipient's handler for `kind` receives `payload`.
   * @throws RangeError for kind "".
   */
  async sendContent(
    to: string,
    kind: string,
    payload: Uint8Array,
    text = "",
  ): Promise<MessageIdHex> {
    return (await this.sendContentToAll([to], kind, payload, text))[0]!;
  }

  /**
   * Sends the same `payload` of `kind` to each of `recipients`, like sendContent, all written to
   * the outbox in one transaction; returns their ids, in order.
   * @throws RangeError for kind "".
   */
  async sendContentToAll(
    recipients: readonly string[],
    kind: string,
    payload: Uint8Array,
    text = "",
  ): Promise<MessageIdHex[]> {
    if (kind === "") throw new RangeError('kind "" is a chat message: use send()');
    const names = recipients.map((to) => this.names.canonical(to));
    return await this.run.outgoing.writeAll(names, text, kind, payload);
  }

  /**
   * The PeerId of `username` with its current addresses in the node's peer store (for features
   * with their own protocols, like file transfer).
   * @throws RemoteError E_NOT_FOUND for an unknown user; KeyMismatchError when its key changed
   * and is not trusted yet.
   */
  async resolvePeer(username: string): Promise<PeerId> {
    const name = this.names.canonical(username);
    const user = await this.run.directory.resolve(name, this.now());
    if (!isAccepted(user.standing)) {
      throw new KeyMismatchError(`${name}'s identity key changed; /trust ${name} first`);
    }
    return user.peerId;
  }

  /** The username whose trusted key is `peer`'s, or undefined for a stranger. */
  usernameOf(peer: PeerId): string | undefined {
    const key = peer.publicKey?.raw;
    const contact = key && this.stores.contacts.byKey(key);
    return contact && bytesEqual(contact.identityKey, key) ? contact.username : undefined;
  }

  /** Resends what is unacknowledged for the contact on `peer` (a chat link came up). */
  #resendTo(peer: PeerId): void {
    const key = peer.publicKey?.raw;
    let contact;
    try {
      contact = key && this.stores.contacts.byKey(key);
    } catch (err: unknown) {
      if (this.#storage.check(err) === undefined) throw err;
      return; // a full disk does not stop reads; a damaged database stopped the peer
    }
    if (contact) void this.running?.outgoing.flush(contact.username); // none once stopping
    void this.running?.resets.deliver();
  }

  /** Stops the services, logs out (unregisters), closes every stream and stops the node. */
  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    this.#running = undefined;
    running.connection.stop();
    running.forwards.stop();
    running.stopPruning();
    running.outgoing.close();
    running.router.close();
    for (const service of Object.values<Service>(this.services)) {
      await service.stop?.().catch((err: unknown) => {
        this.#log.warn(`stopping a service failed: ${(err as Error).message}`);
      });
    }
    for (const id of this.#protocols.keys()) {
      await Promise.resolve(running.node.unhandle(id)).catch(() => {});
    }
    await running.mailDrop.close();
    await running.connection.leave();
    await running.links.close().catch(() => {});
    await running.node.stop();
  }
}
