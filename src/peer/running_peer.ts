/**
 * What a peer runs between `start` and `stop`, and how `start` makes it: the node and its
 * router, the rendezvous connection (login, mail, presence), the directory and trust, chat
 * links, the outgoing and incoming messages, session resets and the forwarded-mail watch, wired
 * together; then the services' protocols are served, the contacts followed, and the login made.
 * Peer (peer.ts) holds the result and its API reaches into it.
 */
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Signer } from "../crypto/primitives.ts";
import type { Logger } from "../log.ts";
import { createNode, type TincanNode } from "../net/node.ts";
import type { Target } from "../net/dial.ts";
import { guarded } from "../net/serve.ts";
import { MAX_FOLLOWED } from "../protocol/limits.ts";
import { VERSION } from "../version.ts";
import { fetchKeyLog, listServers } from "./clients/directory.ts";
import { ForwardWatch } from "./federation/forward_watch.ts";
import { Issuers } from "./federation/issuers.ts";
import type { HomeName } from "./names.ts";
import { ServerKeyStore } from "./store/server_keys.ts";
import { Directory } from "./directory.ts";
import type { PeerEvent } from "./events.ts";
import { CONTACTS_SOURCE } from "./followed_users.ts";
import { MailDrop } from "./mail_drop.ts";
import { ChatLinks, type ChatNode } from "./messaging/chat_links.ts";
import { Incoming } from "./messaging/incoming.ts";
import { ResetAnswers } from "./messaging/reset_answers.ts";
import { Outgoing } from "./messaging/outgoing.ts";
import { RatchetEncryptor } from "./messaging/ratchet_encryptor.ts";
import { SessionManager } from "./messaging/session_manager.ts";
import type { OnlineUsers } from "./online_users.ts";
import { DEFAULT_PEER_LISTEN, type PeerOptions } from "./peer_options.ts";
import { PrekeyManager } from "./prekey_manager.ts";
import { connectRendezvous } from "./rendezvous_link.ts";
import { RendezvousConnection } from "./rendezvous_connection.ts";
import { Router } from "./route/router.ts";
import type { StorageGuard } from "./storage_guard.ts";
import type { ContentHandler, ServedProtocol, Service, ServiceFactories } from "./service.ts";
import { KeyLogHeadStore } from "./store/key_log_heads.ts";
import type { PeerStores } from "./store/peer_stores.ts";
import { pruneSeenPeriodically } from "./seen_pruning.ts";
import { SessionResetStore } from "./store/session_resets.ts";
import { Trust } from "./trust.ts";

/** What exists only while the peer runs (from `start` to `stop`). */
export interface RunningPeer {
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

/** The parts of a Peer that live for its whole life, which `startRunningPeer` wires in. */
export interface PeerInternals {
  readonly options: PeerOptions<ServiceFactories>;
  /** Our username (normalized). */
  readonly username: string;
  readonly signer: Signer;
  readonly stores: PeerStores;
  readonly names: HomeName;
  readonly online: OnlineUsers;
  /** The services' content handlers, by content kind, and their protocols, by id. */
  readonly handlers: ReadonlyMap<string, ContentHandler>;
  readonly protocols: ReadonlyMap<string, ServedProtocol>;
  readonly services: readonly Service[];
  readonly storage: StorageGuard;
  readonly now: () => number;
  readonly log: Logger;
  /** Passes an event to the listeners and the services. */
  readonly emit: (event: PeerEvent) => void;
  /** The running parts (undefined before `setRunning`, and after `stop`). */
  running(): RunningPeer | undefined;
  setRunning(running: RunningPeer | undefined): void;
  /** The username whose trusted key is `peer`'s, or undefined for a stranger. */
  usernameOf(peer: PeerId): string | undefined;
  /** Resends what is unacknowledged for the contact on `peer` (a chat link came up). */
  resendTo(peer: PeerId): void;
  /** Follows the presence of one we talk to (a message came or went); failures are not thrown. */
  followContact(username: string): void;
}

/**
 * Starts the node, serves the services' protocols, connects to the rendezvous (checking its
 * pinned PeerId), registers when asked and needed, logs in, reads the mail, publishes prekeys
 * and addresses, subscribes to presence, and resends what the outbox still holds; the running
 * parts go to `peer.setRunning` as soon as they exist. On failure the node is stopped again.
 * @throws as Peer.start.
 */
export async function startRunningPeer(peer: PeerInternals): Promise<void> {
  const { options, stores, names, online, storage } = peer;
  const { profile } = options;
  const now = peer.now;
  const log = peer.log;
  const emit = (event: PeerEvent) => {
    // A login may be a key change: the next message from that user is certified afresh.
    if (event.type === "presence" && event.online) {
      peer.running()?.incoming.recertify(event.username);
    }
    // Someone we talk to: a contact whose presence we follow.
    if (event.type === "message") peer.followContact(event.from);
    // Held at our home for another node: ask later where it stands.
    if (event.type === "queued" && event.queuedFor !== undefined) peer.running()?.forwards.poke();
    peer.emit(event);
  };
  const node = await createNode({
    privateKey: profile.identity,
    listen: options.listen ?? DEFAULT_PEER_LISTEN,
    agent: `tincan/${VERSION} peer`,
    relayClient: true,
  });
  const router = new Router({
    node,
    usernameOf: (id) => peer.usernameOf(id),
    onUpgrade: (id, username) => {
      emit({ type: "notice", text: `the chat with ${username} is now direct (was relayed)` });
      peer.resendTo(id); // what the relayed link had not acknowledged goes again
    },
    log,
  });
  try {
    const rendezvous = await connectRendezvous(node, options.rendezvous, profile.db);
    const rendezvousKey = rendezvous.peerId.publicKey;
    if (rendezvousKey === undefined) throw new TypeError("the rendezvous has no public key");
    const prekeys = new PrekeyManager(profile.identity, stores, profile.db);
    const sessions = new SessionManager(
      { identityKey: peer.signer.publicKey, identityDh: await prekeys.identityDh(now()) },
      stores.ownKeys,
      stores.ratchetSessions,
      stores.kemKeys,
    );
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
    );
    const directory = new Directory(node, () => rendezvous.address, trust, names);
    const chatNode: ChatNode = {
      handle: (protocol, handler, handleOptions) => node.handle(protocol, handler, handleOptions),
      dialProtocol: (id, protocol, { signal }) => router.openStream(id, protocol, signal, true),
      carrier: (id) => router.carrier(id),
    };
    const links = new ChatLinks(chatNode, log);
    const mailDrop = new MailDrop(node, () => rendezvous.address, log);
    const outgoing = new Outgoing({
      username: peer.username,
      senderName: (to) => names.isRemote(to) ? names.seenElsewhere(peer.username) : peer.username,
      stores: { db: profile.db, storageKey: profile.storageKey, ...stores },
      encryptor: new RatchetEncryptor({
        db: profile.db,
        sessions,
        ratchetSessions: stores.ratchetSessions,
        outbox: stores.outbox,
        protocols: stores.protocols,
        signer: peer.signer,
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
      username: peer.username,
      identityKey: peer.signer.publicKey,
      stores: { db: profile.db, storageKey: profile.storageKey, ...stores },
      sessions,
      certifier: directory,
      reports: outgoing,
      nameOf: (claimed) => names.canonical(claimed),
      handlers: peer.handlers,
      now,
      emit,
      log,
    });
    const resets = new ResetAnswers({
      store: new SessionResetStore(profile.db),
      nameOf: (id) =>
        peer.usernameOf(id) ?? online.usernameOn(id.toString()) ??
          peer.running()?.connection.who(id.toString()),
      certifiedKey: async (username) => (await directory.resolve(username, now())).identityKey,
      sendAck: (id, ack) => links.sendAck(id, ack),
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
        setTimeout(() => void peer.running()?.outgoing.flush(to), afterMs);
      },
      now,
      log,
      ...(options.forwardPollMs === undefined ? {} : { intervalMs: options.forwardPollMs }),
    });
    const connection = new RendezvousConnection({
      username: peer.username,
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
    peer.setRunning({
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
    });
    for (const [id, served] of peer.protocols) {
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
      onLinkUp: (from) => peer.resendTo(from),
      onLinkDown: (from) => peer.resendTo(from),
    });
    // Our interest, declared at each login: those we talked to (rooms add their members).
    const contacts = stores.history.peers();
    await connection.follow(contacts.slice(0, MAX_FOLLOWED), CONTACTS_SOURCE);
    if (contacts.length > MAX_FOLLOWED) {
      emit({
        type: "notice",
        text: `you have ${contacts.length} contacts; presence is shown for ${MAX_FOLLOWED}`,
      });
    }
    await connection.connect(options.register ?? false);
    outgoing.flushAll();
    for (const service of peer.services) service.started?.();
  } catch (err: unknown) {
    peer.running()?.stopPruning();
    peer.setRunning(undefined);
    router.close();
    await Promise.resolve(node.stop()).catch(() => {});
    throw storage.localFailure(err) ?? err;
  }
}
