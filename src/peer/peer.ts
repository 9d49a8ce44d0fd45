/**
 * A peer: a libp2p node with the user's identity, logged in to its rendezvous, with its mail
 * read, its prekeys published, its addresses registered, a live presence feed, chat links to
 * other peers, and the services (rooms, files …) it was created with. The CLI and tests make one
 * with createPeer, listen to its events with `on`, then `start` it.
 */
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { openAtRest } from "../crypto/at_rest.ts";
import { bytesEqual, toHex } from "../crypto/bytes.ts";
import { type Signer, signerFromPrivateKey } from "../crypto/primitives.ts";
import { safetyNumber } from "../crypto/safety_number.ts";
import { type Logger, logger } from "../log.ts";
import { createNode, type TincanNode } from "../net/node.ts";
import type { Target } from "../net/dial.ts";
import { guarded } from "../net/serve.ts";
import { Content } from "../proto/chat.ts";
import { CONTENT_KINDS } from "../protocol/ids.ts";
import { normalizeServerName } from "../protocol/qualified_name.ts";
import { normalizeUsername } from "../protocol/username.ts";
import { VERSION } from "../version.ts";
import type { AccountOptions } from "./clients/account.ts";
import {
  fetchKeyLog,
  listOnline,
  listServers,
  type ServerList,
  type ServerOnlinePage,
} from "./clients/directory.ts";
import { ForwardWatch } from "./federation/forward_watch.ts";
import { Issuers } from "./federation/issuers.ts";
import { homedUsername, HomeName } from "./names.ts";
import { ServerKeyStore } from "./store/server_keys.ts";
import { ContactTrust, type HeldMessage, type Whois } from "./contact_trust.ts";
import { Directory, KeyMismatchError } from "./directory.ts";
import type { MessageIdHex, PeerEvent, PeerListener } from "./events.ts";
import { MailDrop } from "./mail_drop.ts";
import { ChatLinks, type ChatNode } from "./messaging/chat_links.ts";
import { Incoming } from "./messaging/incoming.ts";
import { ResetAnswers } from "./messaging/reset_answers.ts";
import { markOutboxFailed, Outgoing } from "./messaging/outgoing.ts";
import { RatchetEncryptor } from "./messaging/ratchet_encryptor.ts";
import { SessionManager } from "./messaging/session_manager.ts";
import { OnlineUsers } from "./online_users.ts";
import { PrekeyManager } from "./prekey_manager.ts";
import type { Profile } from "./profile.ts";
import { connectRendezvous } from "./rendezvous_link.ts";
import { RendezvousConnection } from "./rendezvous_connection.ts";
import type { OnlinePage } from "./clients/presence.ts";
import { MAX_FOLLOWED, MAX_LIST_PAGE } from "../protocol/limits.ts";
import { Router } from "./route/router.ts";
import { formatRoute, type RouteReport } from "./route/route_report.ts";
import { StorageGuard } from "./storage_guard.ts";
import type {
  ContentHandler,
  ServedProtocol,
  Service,
  ServiceFactories,
  ServicePorts,
  ServicesOf,
} from "./service.ts";
import { ContactStore } from "./store/contacts.ts";
import { HistoryStore } from "./store/history.ts";
import { bodyContext } from "./store/body_context.ts";
import { KeyLogHeadStore } from "./store/key_log_heads.ts";
import { type OutboxStatus, OutboxStore } from "./store/outbox.ts";
import { OwnKeyStore } from "./store/own_keys.ts";
import { RatchetSessionStore } from "./store/ratchet_sessions.ts";
import { pruneSeenPeriodically } from "./seen_pruning.ts";
import { OwnKemKeyStore } from "./store/own_kem_keys.ts";
import {
  ContactProtocolStore,
  type SessionProtocol,
  sessionProtocolOf,
} from "./store/contact_protocols.ts";
import { SessionResetStore } from "./store/session_resets.ts";
import { isAccepted, Trust } from "./trust.ts";

/** No services: a peer that only chats. */
export type NoServices = Readonly<Record<never, never>>;

/** How to make a peer. */
export interface PeerOptions<F extends ServiceFactories = NoServices> extends AccountOptions {
  readonly profile: Profile;
  readonly username: string;
  readonly password: string;
  /** The rendezvous address (with or without /p2p/). */
  readonly rendezvous: string;
  /** Register the account first when this profile has not registered it there yet. */
  readonly register?: boolean;
  /** Where to listen for other peers; default DEFAULT_PEER_LISTEN. */
  readonly listen?: readonly string[];
  readonly now?: () => number;
  /** How often mail held at our home for another node is asked about; FORWARD_POLL_MS unless given. */
  readonly forwardPollMs?: number;
  /** The features this peer runs, by name (`peer.services.<name>`): rooms(), files(…) … */
  readonly services?: F;
}

/** Where a peer listens by default: every IPv4 and IPv6 interface, on free ports. */
export const DEFAULT_PEER_LISTEN: readonly string[] = ["/ip4/0.0.0.0/tcp/0", "/ip6/::/tcp/0"];

/** How long `route` may take to find a path (the dial policy's timeouts, and a margin). */
const ROUTE_TIMEOUT_MS = 10_000;

/** How messages to a user go now, and the same as lines for people (see route_report.ts). */
export type Route = RouteReport & { readonly lines: readonly string[] };

/** One line of history, decrypted. */
export interface HistoryLine {
  readonly id: MessageIdHex;
  readonly peer: string;
  readonly outgoing: boolean;
  readonly sentAt: number;
  readonly text: string;
  /** Set for a message received from a changed key not yet trusted as `peer`. */
  readonly untrusted?: true;
  /** A broadcast (to everyone online then), not a direct message. */
  readonly broadcast: boolean;
  /** Ours: where it stands in the outbox (delivered, queued, failed …) and why it failed. */
  readonly delivery?: { readonly status: OutboxStatus; readonly error?: string };
}

/**
 * Makes a peer and its services, without starting anything: add listeners with `on`, then
 * `start()`.
 * @throws RangeError when two services handle the same content kind or protocol.
 */
export function createPeer<F extends ServiceFactories = NoServices>(
  options: PeerOptions<F>,
): Peer<F> {
  return new Peer(options);
}

/** The stores of the profile the peer works with. */
interface PeerStores {
  readonly outbox: OutboxStore;
  readonly history: HistoryStore;
  readonly contacts: ContactStore;
  readonly ratchetSessions: RatchetSessionStore;
  readonly ownKeys: OwnKeyStore;
  readonly kemKeys: OwnKemKeyStore;
  readonly protocols: ContactProtocolStore;
}

/** What exists only while the peer runs (from `start` to `stop`). */
interface Running {
  readonly node: TincanNode;
  readonly directory: Directory;
  readonly links: ChatLinks;
  readonly mailDrop: MailDrop;
  readonly outgoing: Outgoing;
  readonly incoming: Incoming;
  readonly trust: Trust;
  readonly connection: RendezvousConnection;
  readonly stopPruning: () => void;
  readonly router: Router;
  readonly resets: ResetAnswers;
  readonly issuers: Issuers;
  readonly forwards: ForwardWatch;
  /** Our home's address. */
  readonly home: () => Target;
}

/** A contact as /contacts lists it. */
export interface ContactListing {
  readonly username: string;
  /** Online now; undefined when its presence is not followed (beyond MAX_FOLLOWED). */
  readonly online: boolean | undefined;
  /** Its away text ("" when not away or offline). */
  readonly away: string;
  /** Verified (safety numbers compared), not verified, or a changed key waiting for /trust. */
  readonly trust: "verified" | "unverified" | "key-changed";
}

/** A peer; make one with createPeer. */
export class Peer<F extends ServiceFactories = ServiceFactories> {
  /** This peer's username (normalized). */
  readonly username: string;
  /** The services, by the names given to createPeer. */
  readonly services: ServicesOf<F>;
  readonly #options: PeerOptions<F>;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #signer: Signer;
  readonly #stores: PeerStores;
  readonly #online = new OnlineUsers();
  readonly #listeners = new Set<PeerListener>();
  readonly #handlers = new Map<string, ContentHandler>();
  readonly #protocols = new Map<string, ServedProtocol>();
  readonly #contactTrust: ContactTrust;
  /** Our home's name (learned after login) and the names of other nodes' users. */
  readonly #names = new HomeName();
  #running: Running | undefined = undefined;
  #starting = false;
  /** A full disk is waited out; a damaged database stops the peer. */
  readonly #storage: StorageGuard;

  /** createPeer: builds the services; nothing runs until `start`. */
  constructor(options: PeerOptions<F>) {
    this.#options = options;
    this.username = normalizeUsername(options.username);
    this.#now = options.now ?? Date.now;
    this.#log = logger(`peer:${this.username}`);
    this.#storage = new StorageGuard({
      dir: options.profile.dir,
      emit: (event) => this.#emit(event),
      stop: () => void this.stop(),
    });
    const { db, storageKey } = options.profile;
    this.#signer = signerFromPrivateKey(options.profile.identity);
    this.#stores = {
      outbox: new OutboxStore(db),
      history: new HistoryStore(db),
      contacts: new ContactStore(db),
      ratchetSessions: new RatchetSessionStore(db, storageKey),
      ownKeys: new OwnKeyStore(db, storageKey),
      kemKeys: new OwnKemKeyStore(db, storageKey),
      protocols: new ContactProtocolStore(db),
    };
    this.#contactTrust = new ContactTrust({
      self: { username: this.username, identityKey: this.#signer.publicKey },
      contacts: this.#stores.contacts,
      outbox: this.#stores.outbox,
      storageKey: options.profile.storageKey,
      now: this.#now,
      running: () => {
        const { trust, directory, outgoing, incoming } = this.#run;
        return { trust, directory, outgoing, recertify: (u) => incoming.recertify(u) };
      },
    });
    const ports: ServicePorts = {
      username: this.username,
      profile: options.profile,
      now: this.#now,
      log: this.#log,
      content: {
        sendContent: (to, kind, payload, text) => this.sendContent(to, kind, payload, text),
      },
      users: {
        resolvePeer: (username) => this.resolvePeer(username),
        usernameOf: (peer) => this.usernameOf(peer),
      },
      streams: {
        // Never on a relayed connection: file data waits for a direct one.
        openStream: (peer, protocol, signal) =>
          this.#run.router.openStream(peer, protocol, signal, false),
      },
      presence: {
        everyone: () => this.everyoneOnline(),
        follow: (names) => this.#followQuietly(names),
      },
      home: () => this.#names.name,
    };
    const services: Record<string, Service> = {};
    for (const [name, factory] of Object.entries(options.services ?? {})) {
      const service = factory(ports);
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
  get #run(): Running {
    if (this.#running === undefined) throw new TypeError(`${this.username}'s peer is not started`);
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
    const options = this.#options;
    const { profile } = options;
    const now = this.#now;
    const log = this.#log;
    const stores = this.#stores;
    const emit = (event: PeerEvent) => {
      // A login may be a key change: the next message from that user is certified afresh.
      if (event.type === "presence" && event.online) {
        this.#running?.incoming.recertify(event.username);
      }
      // Held at our home for another node: ask later where it stands.
      if (event.type === "queued" && event.queuedFor !== undefined) this.#running?.forwards.poke();
      this.#emit(event);
    };
    const storage = this.#storage;
    const node = await createNode({
      privateKey: profile.identity,
      listen: options.listen ?? DEFAULT_PEER_LISTEN,
      agent: `tincan/${VERSION} peer`,
      relayClient: true,
    });
    const router = new Router({
      node,
      usernameOf: (peer) => this.usernameOf(peer),
      onUpgrade: (peer, username) => {
        emit({ type: "notice", text: `the chat with ${username} is now direct (was relayed)` });
        this.#resendTo(peer); // what the relayed link had not acknowledged goes again
      },
      log,
    });
    try {
      const rendezvous = await connectRendezvous(node, options.rendezvous, profile.db);
      const rendezvousKey = rendezvous.peerId.publicKey;
      if (rendezvousKey === undefined) throw new TypeError("the rendezvous has no public key");
      const prekeys = new PrekeyManager(profile.identity, stores, profile.db);
      const sessions = new SessionManager(
        { identityKey: this.#signer.publicKey, identityDh: await prekeys.identityDh(now()) },
        stores.ownKeys,
        stores.ratchetSessions,
        stores.kemKeys,
      );
      const names = this.#names;
      const issuers = new Issuers({
        homeKey: rendezvousKey,
        names,
        store: new ServerKeyStore(profile.db),
        onChange: (server, fingerprint) =>
          emit({
            type: "notice",
            text: `WARNING: your rendezvous now vouches a different key for server ${server} ` +
              `(${fingerprint}): nothing from ${server} is accepted until you check it with ` +
              `its operator and /trust-server ${server} ${fingerprint}`,
          }),
      });
      const trust = new Trust(
        stores.contacts,
        new KeyLogHeadStore(profile.db),
        issuers,
        (name) => {
          const { username, server } = names.parse(name);
          return fetchKeyLog(node, rendezvous.address, username, server);
        },
        (name) => this.#followQuietly([name]),
      );
      const directory = new Directory(node, () => rendezvous.address, trust, names);
      const chatNode: ChatNode = {
        handle: (protocol, handler, handleOptions) => node.handle(protocol, handler, handleOptions),
        dialProtocol: (peer, protocol, { signal }) =>
          router.openStream(peer, protocol, signal, true),
        carrier: (peer) => router.carrier(peer),
      };
      const links = new ChatLinks(chatNode, log);
      const mailDrop = new MailDrop(node, () => rendezvous.address, log);
      const online = this.#online;
      const outgoing = new Outgoing({
        username: this.username,
        senderName: (to) => names.isRemote(to) ? names.seenElsewhere(this.username) : this.username,
        stores: { db: profile.db, storageKey: profile.storageKey, ...stores },
        encryptor: new RatchetEncryptor({
          db: profile.db,
          sessions,
          ratchetSessions: stores.ratchetSessions,
          outbox: stores.outbox,
          protocols: stores.protocols,
          signer: this.#signer,
          bundles: directory,
          now,
          emit,
        }),
        resolver: directory,
        links,
        mail: {
          deposit: (to, envelope) => {
            const { username, server } = names.parse(to);
            return mailDrop.deposit(username, envelope, server);
          },
          isOnline: (username) => online.isOnline(username),
        },
        now,
        emit,
        log,
      });
      const incoming = new Incoming({
        username: this.username,
        identityKey: this.#signer.publicKey,
        stores: { db: profile.db, storageKey: profile.storageKey, ...stores },
        sessions,
        certifier: directory,
        reports: outgoing,
        nameOf: (claimed) => names.canonical(claimed),
        handlers: this.#handlers,
        now,
        emit,
        log,
      });
      const resets = new ResetAnswers({
        store: new SessionResetStore(profile.db),
        nameOf: (peer) =>
          this.usernameOf(peer) ?? online.usernameOn(peer.toString()) ??
            this.#running?.connection.who(peer.toString()),
        certifiedKey: async (username) => (await directory.resolve(username, now())).identityKey,
        sendAck: (peer, ack) => links.sendAck(peer, ack),
        now,
        log,
      });
      const forwards = new ForwardWatch({
        outbox: stores.outbox,
        status: (ids) => mailDrop.forwardStatus(ids),
        forwarded: (id, to, server) => emit({ type: "forwarded", id, to, server }),
        failed: (id, to, reason) => outgoing.failed(id, to, reason),
        retry: (to, afterMs) => {
          emit({
            type: "notice",
            text: `${to}'s server cannot take your message now; it is deposited again in ` +
              `${Math.ceil(afterMs / 1000)} s`,
          });
          setTimeout(() => void this.#running?.outgoing.flush(to), afterMs);
        },
        now,
        log,
        ...(options.forwardPollMs === undefined ? {} : { intervalMs: options.forwardPollMs }),
      });
      const connection = new RendezvousConnection({
        username: this.username,
        node,
        profile,
        login: options,
        rendezvous,
        prekeys,
        outgoing,
        incoming,
        mailDrop,
        online,
        dropLinks: (peerId) => void node.hangUp(peerIdFromString(peerId)).catch(() => {}),
        reachability: {
          reserve: (target) => router.reserve(target),
          announceable: (audience) => router.announceable(audience),
        },
        emit,
        loggedIn: async () => {
          try {
            names.set((await listServers(node, rendezvous.address)).home);
          } catch (err: unknown) {
            log.warn(
              `the rendezvous did not say its name (no federation): ${(err as Error).message}`,
            );
          }
          forwards.poke();
        },
        storage,
        resets,
        now,
        log,
      });
      const stopPruning = pruneSeenPeriodically(stores.history, now, log);
      this.#running = {
        node,
        directory,
        links,
        mailDrop,
        outgoing,
        incoming,
        trust,
        connection,
        stopPruning,
        router,
        resets,
        issuers,
        forwards,
        home: () => rendezvous.address,
      };
      for (const [id, served] of this.#protocols) {
        const handler = guarded(log, (stream, conn) => served.handler(stream, conn.remotePeer));
        await node.handle(id, handler, { maxInboundStreams: served.maxInboundStreams });
      }
      await links.start({
        onEnvelopes: (envelopes, from, via) =>
          incoming.onEnvelopes(envelopes, from, via).catch((err: unknown) => {
            storage.check(err); // a damaged database stops the peer
            throw err;
          }),
        onAcks: (acks, from) => incoming.onAcks(acks, from),
        onLinkUp: (from) => this.#resendTo(from),
        onLinkDown: (from) => this.#resendTo(from),
      });
      // Our interest, declared at each login: the contacts (rooms add their members).
      const contacts = stores.contacts.usernames();
      await connection.follow(contacts.slice(0, MAX_FOLLOWED));
      if (contacts.length > MAX_FOLLOWED) {
        emit({
          type: "notice",
          text: `you have ${contacts.length} contacts; presence is shown for ${MAX_FOLLOWED}`,
        });
      }
      await connection.connect(options.register ?? false);
      outgoing.flushAll();
      for (const service of Object.values<Service>(this.services)) service.started?.();
    } catch (err: unknown) {
      this.#running?.stopPruning();
      this.#running = undefined;
      router.close();
      await Promise.resolve(node.stop()).catch(() => {});
      throw storage.localFailure(err) ?? err;
    }
  }

  /** Passes `event` to the listeners, then to the services. */
  #emit(event: PeerEvent): void {
    this.#listeners.forEach((listener) => listener(event));
    for (const service of Object.values<Service>(this.services)) service.onPeerEvent?.(event);
  }

  /** The libp2p node (tests and benchmarks look at it). */
  get node(): TincanNode {
    return this.#run.node;
  }

  /** Calls `listener` for every event; returns a function that stops it. */
  on(listener: PeerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The users we follow (contacts, room members, and those given to follow()) who are online
   * now (usernames, sorted). Everyone online is listOnline's, one page at a time.
   */
  online(): string[] {
    return this.#online.online();
  }

  /** Our home rendezvous's name, once it said it after login (undefined: no federation). */
  get home(): string | undefined {
    return this.#names.name;
  }

  /**
   * The stored form of a typed name: `bob`, or `bob@work` (`bob@<home>` is `bob`).
   * @throws RangeError for a bad name.
   */
  nameOf(input: string): string {
    return this.#names.canonical(input);
  }

  /**
   * Our home's name and the nodes it federates with, with their link state (for /servers).
   * @throws RemoteError when the rendezvous refuses; an Error when it cannot be reached.
   */
  async servers(): Promise<ServerList> {
    const run = this.#run;
    return await listServers(run.node, run.home());
  }

  /**
   * One page of the users online at the federated node `server` (our home when undefined or our
   * home's name), from `cursor` on, through the directory; names are shown as typed here
   * (`bob@work`). For our home, listOnline() pages through the presence stream.
   * @throws RemoteError E_UNKNOWN_SERVER for a node our home does not federate with,
   * E_REMOTE_UNAVAILABLE when it cannot be reached.
   */
  async listOnlineAt(server: string | undefined, cursor = ""): Promise<ServerOnlinePage> {
    const run = this.#run;
    const folded = server === undefined ? undefined : normalizeServerName(server);
    const remote = folded === this.#names.name ? undefined : folded;
    const page = await listOnline(run.node, run.home(), remote, cursor);
    return {
      online: page.online.map((u) => ({
        ...u,
        username: remote === undefined ? u.username : `${u.username}@${remote}`,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** The fingerprint of the changed key our home now vouches for `server`, if any. */
  pendingServerKey(server: string): string | undefined {
    return this.#run.issuers.pending(normalizeServerName(server));
  }

  /**
   * Trusts the changed key of `server` if `fingerprint` is the one shown; returns whether it did.
   */
  trustServer(server: string, fingerprint: string): boolean {
    return this.#run.issuers.trust(normalizeServerName(server), fingerprint, this.#now());
  }

  /**
   * Follows the presence of `names` too (for this and later logins): their online, offline and
   * away changes become presence events, and online() includes them. Resolves once the
   * rendezvous took them (their current state is known then).
   * @throws RangeError when that would make us follow more than MAX_FOLLOWED users; TypeError
   * when the peer is not started.
   */
  async follow(names: readonly string[]): Promise<void> {
    await this.#run.connection.follow(names.map((name) => this.#names.canonical(name)));
  }

  /** follow() for services and contacts: a failure is logged, not thrown. */
  #followQuietly(names: readonly string[]): void {
    if (this.#running === undefined) return;
    this.follow(names).catch((err: unknown) => {
      this.#log.warn(`cannot follow ${names.join(", ")}: ${(err as Error).message}`);
    });
  }

  /** The away text of `username` ("" when not away), or undefined when it is not followed online. */
  awayOf(username: string): string | undefined {
    return this.#online.awayOf(username);
  }

  /**
   * One page (at most `limit`, ≤ MAX_LIST_PAGE) of everyone online at the rendezvous, sorted by
   * username, after `cursor` (the previous page's `next`).
   * @throws RemoteError when not connected to the rendezvous.
   */
  async listOnline(cursor?: string, limit: number = MAX_LIST_PAGE): Promise<OnlinePage> {
    return await this.#run.connection.list(cursor, limit);
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
   * Sets our away text at the rendezvous, shown to those who follow us ("" clears it); it lasts
   * until we log out (and is set again after a reconnect).
   * @throws RangeError when it is longer than MAX_AWAY_CHARS or has control characters.
   */
  async setAway(text: string): Promise<void> {
    await this.#run.connection.setAway(text);
  }

  /** The contacts (everyone we talked to), sorted, with their presence and trust state. */
  contacts(): ContactListing[] {
    const followed = new Set(this.#running?.connection.followed() ?? []);
    const listing: ContactListing[] = [];
    for (const username of this.#stores.contacts.usernames()) {
      const contact = this.#stores.contacts.get(username);
      if (contact === undefined) continue;
      const away = this.#online.awayOf(username);
      listing.push({
        username,
        online: followed.has(username) ? away !== undefined : undefined,
        away: away ?? "",
        trust: contact.pendingKey ? "key-changed" : contact.verified ? "verified" : "unverified",
      });
    }
    return listing;
  }

  /** Our away text ("" when not away). */
  get away(): string {
    return this.#running?.connection.away ?? "";
  }

  /**
   * Sends `text` to `to`; returns the message id. Delivery is reported by a delivered or failed
   * event; until then the message waits in the outbox and is resent as needed.
   */
  async send(to: string, text: string): Promise<MessageIdHex> {
    return await this.#run.outgoing.write(this.#names.canonical(to), text);
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
    if (kind === "") throw new RangeError('kind "" is a chat message: use send()');
    return await this.#run.outgoing.write(this.#names.canonical(to), text, kind, payload);
  }

  /**
   * The PeerId of `username` with its current addresses in the node's peer store (for features
   * with their own protocols, like file transfer).
   * @throws RemoteError E_NOT_FOUND for an unknown user; KeyMismatchError when its key changed
   * and is not trusted yet.
   */
  async resolvePeer(username: string): Promise<PeerId> {
    const name = this.#names.canonical(username);
    const user = await this.#run.directory.resolve(name, this.#now());
    if (!isAccepted(user.standing)) {
      throw new KeyMismatchError(`${name}'s identity key changed; /trust ${name} first`);
    }
    return user.peerId;
  }

  /**
   * How messages to `username` go now — direct, relayed or queued — and why better paths failed;
   * dials along the dial-order policy when no connection is open.
   * @throws like resolvePeer.
   */
  async route(username: string): Promise<Route> {
    const name = this.#names.canonical(username);
    const peerId = await this.resolvePeer(name);
    const { router } = this.#run;
    const signal = AbortSignal.timeout(ROUTE_TIMEOUT_MS);
    const report = await router.report(name, peerId, this.#online.isOnline(name), signal);
    return { ...report, lines: formatRoute(report, (id) => router.relayName(id)) };
  }

  /** The username whose trusted key is `peer`'s, or undefined for a stranger. */
  usernameOf(peer: PeerId): string | undefined {
    const key = peer.publicKey?.raw;
    const contact = key && this.#stores.contacts.byKey(key);
    return contact && bytesEqual(contact.identityKey, key) ? contact.username : undefined;
  }

  /**
   * Leaves the unacknowledged message `id` in its recipient's mailbox now, instead of waiting
   * for a direct acknowledgement. Returns whether it is queued there.
   * @throws RemoteError when the mailbox refuses it; an Error when the rendezvous is unreachable.
   */
  async mailNow(id: MessageIdHex): Promise<boolean> {
    return await this.#run.outgoing.mailNow(id);
  }

  /**
   * Marks our message `id` failed for `reason` (it will not be sent later) unless it was
   * delivered or queued meanwhile; returns where it ends up. Works after `stop` too, until the
   * profile is closed.
   * @throws RangeError when there is no such message.
   */
  markFailed(id: MessageIdHex, reason: string): "delivered" | "queued" | "failed" {
    const status = markOutboxFailed(this.#stores.outbox, id, reason, this.#now());
    if (status === "failed") this.#running?.outgoing.settled(id);
    return status;
  }

  /** Resends what is unacknowledged for the contact on `peer` (a chat link came up). */
  #resendTo(peer: PeerId): void {
    const key = peer.publicKey?.raw;
    let contact;
    try {
      contact = key && this.#stores.contacts.byKey(key);
    } catch (err: unknown) {
      if (this.#storage.check(err) === undefined) throw err;
      return; // a full disk does not stop reads; a damaged database stopped the peer
    }
    if (contact) void this.#running?.outgoing.flush(contact.username); // none once stopping
    void this.#running?.resets.deliver();
  }

  /**
   * The safety number of this user and `username` (60 digits in 12 groups), from the pinned key.
   * @throws RangeError when `username` is not a contact yet.
   */
  async safetyNumber(username: string): Promise<string> {
    const name = this.#names.canonical(username);
    const { contacts } = this.#stores;
    let contact = contacts.get(name);
    if (contact === undefined) {
      await this.#run.directory.resolve(name, this.#now());
      contact = contacts.get(name);
    }
    if (contact === undefined) throw new RangeError(`${name} is not a contact`);
    return safetyNumber(
      { username: this.username, identityKey: this.#signer.publicKey },
      { username: homedUsername(name), identityKey: contact.identityKey },
    );
  }

  /**
   * How sessions with `username` are set up: "pqxdh", "x3dh" (it publishes no post-quantum keys),
   * "x3dh-downgraded" (it did before: see the x3dh-session event), or "none" (no session yet).
   */
  sessionProtocol(username: string): SessionProtocol {
    return sessionProtocolOf(this.#stores.protocols.get(this.#names.canonical(username)));
  }

  /**
   * Marks `username` verified if `safetyNumber` is the one shown (`safetyNumber(username)`): a
   * later key change blocks.
   * @throws FingerprintMismatchError when it is not the current safety number; RangeError when
   * `username` is not a contact.
   */
  markVerified(username: string, safetyNumber: string): void {
    this.#contactTrust.markVerified(this.#names.canonical(username), safetyNumber);
  }

  /** The fingerprint and safety number of `username`'s changed key awaiting /trust, if any. */
  pendingKey(username: string): { fingerprint: string; safetyNumber: string } | undefined {
    return this.#contactTrust.pending(this.#names.canonical(username));
  }

  /**
   * Trusts `username`'s changed key if `seen` is its fingerprint or safety number as shown
   * (`pendingKey`). Held messages stay held: see `heldMessages`, then `resendHeld` or
   * `discardHeld`. Returns how many are held, or undefined when the key has not changed.
   * @throws FingerprintMismatchError when `seen` is not the pending key's (it changed again).
   */
  trust(username: string, seen: string): number | undefined {
    return this.#contactTrust.trust(this.#names.canonical(username), seen);
  }

  /** The messages to `username` held since its key changed, oldest first. */
  heldMessages(username: string): Promise<HeldMessage[]> {
    return this.#contactTrust.held(this.#names.canonical(username));
  }

  /**
   * Sends the held messages to `username`'s trusted key; returns how many, or undefined while
   * the key change is not trusted.
   */
  resendHeld(username: string): number | undefined {
    return this.#contactTrust.resendHeld(this.#names.canonical(username));
  }

  /** Gives up the held messages to `username` (reported failed); returns how many. */
  discardHeld(username: string): number {
    return this.#contactTrust.discardHeld(this.#names.canonical(username));
  }

  /**
   * What the rendezvous certifies for `username` now, and its key log, checked.
   * @throws RemoteError E_NOT_FOUND for an unknown user; StatementError for a bad certificate.
   */
  whois(username: string): Promise<Whois> {
    return this.#contactTrust.whois(this.#names.canonical(username));
  }

  /** The last `limit` messages with `peer` (all when undefined), oldest first. */
  async history(peer: string | undefined, limit: number): Promise<HistoryLine[]> {
    const rows = this.#stores.history.recent(peer && this.#names.canonical(peer), limit);
    const lines: HistoryLine[] = [];
    for (const row of rows) {
      const plaintext = await openAtRest(
        this.#options.profile.storageKey,
        row.body,
        bodyContext("history", row.messageId),
      );
      const content = Content.decode(plaintext);
      const sent = row.outgoing ? this.#stores.outbox.get(row.messageId) : undefined;
      lines.push({
        id: toHex(row.messageId),
        peer: row.peer,
        outgoing: row.outgoing,
        sentAt: row.sentAt,
        text: content.text,
        broadcast: content.kind === CONTENT_KINDS.broadcast,
        ...(row.untrusted ? { untrusted: true } : {}),
        ...(sent && {
          delivery: { status: sent.status, ...(sent.error !== undefined && { error: sent.error }) },
        }),
      });
    }
    return lines;
  }

  /** Stops the services, logs out (unregisters), closes every stream and stops the node. */
  async stop(): Promise<void> {
    const running = this.#running;
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

export type { PeerEvent };
