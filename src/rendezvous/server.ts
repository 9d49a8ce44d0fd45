/**
 * The rendezvous node: a libp2p node serving the account, rendezvous, directory, presence and
 * mailbox protocols over one SQLite database and one node key, both kept in the data directory.
 */
import { peerIdFromString } from "@libp2p/peer-id";
import * as opaque from "@serenity-kit/opaque";
import { join } from "node:path";
import { logger } from "../log.ts";
import type { FrameLimits } from "../net/framed.ts";
import { createNode, type NodeLimits, type TincanNode } from "../net/node.ts";
import { loadOrCreateNodeKey } from "../net/node_key.ts";
import { guarded } from "../net/serve.ts";
import { type InboundObserver, tapInbound } from "../net/tap.ts";
import { AccountStore } from "./store/accounts.ts";
import { openPrivateDatabase } from "../store/database.ts";
import { MailboxStore } from "./store/mailbox.ts";
import { PrekeyStore } from "./store/prekeys.ts";
import { RetiredKeyStore } from "./store/retired_keys.ts";
import { RENDEZVOUS_MIGRATIONS } from "./store/schema.ts";
import { settingOrCreate } from "../store/settings.ts";
import { VERSION } from "../version.ts";
import { accountProtocol } from "./account_protocol.ts";
import { Certifier } from "./certifier.ts";
import { DIRECTORY_STREAMS_PER_CONNECTION, FRAMES } from "../protocol/limits.ts";
import {
  FEDERATION_LIMITS,
  type FederationLimits,
  MAILBOX_LIMITS,
  type MailboxLimits,
} from "./constants.ts";
import { Federation } from "./federation/federation.ts";
import type { FederatedNode } from "./federation/federated_node.ts";
import type { LinkTiming } from "./federation/links.ts";
import { ForwardQueueStore } from "./store/forward_queue.ts";
import { RemotePrekeysStore } from "./store/remote_prekeys.ts";
import { PROTOCOL } from "../protocol/ids.ts";
import { directoryProtocol } from "./directory_protocol.ts";
import { mailboxProtocol } from "./mailbox_protocol.ts";
import { presenceProtocol } from "./presence_protocol.ts";
import { PresenceInterest, type PresenceWatcher } from "./presence_interest.ts";
import { type RegistrationLimits, RegistrationTable } from "./registrations.ts";
import { rendezvousProtocol } from "./rendezvous_protocol.ts";
import { LoggedInUsers } from "./logged_in_users.ts";
import { MailSignal } from "./mail_signal.ts";
import { type RelayCounters, type RelayLimits, RendezvousRelay } from "./relay.ts";
import { ReplacedLogins } from "./replaced_logins.ts";
import { AccountThrottle } from "./account_throttle.ts";
import { Metrics } from "./metrics.ts";
import { AdminActions } from "./admin/actions.ts";
import { AccountEnforcer } from "./admin/enforcer.ts";
import { accountPolicy, DEFAULT_COOLING_OFF_MS } from "./admin/policy.ts";
import { AccountAdminStore } from "./store/account_admin.ts";
import { StatsStore } from "./store/stats.ts";
import { type HttpOptions, type OperatorHttp, startOperatorHttp } from "./http/server.ts";
import { operatorPort } from "./operator_port.ts";

/** How to run a rendezvous. */
export interface RendezvousOptions {
  readonly dataDir: string;
  readonly listen: readonly string[];
  /** The addresses to announce instead of the listen addresses (public ones behind a NAT …). */
  readonly announce?: readonly string[];
  /** Relay limits (relay.ts DEFAULT_RELAY_LIMITS unless given); false runs no relay. */
  readonly relay?: Partial<RelayLimits> | false;
  readonly name: string;
  /** The clock; tests move it. */
  readonly now?: () => number;
  readonly nodeLimits?: Partial<NodeLimits>;
  readonly registrationLimits?: Partial<RegistrationLimits>;
  /** Mailbox quotas; constants.ts MAILBOX_LIMITS unless given. */
  readonly mailboxLimits?: Partial<MailboxLimits>;
  /**
   * How long any protocol waits for a client's next frame before resetting the stream; the
   * per-protocol defaults are in constants.ts FRAMES. Tests shorten it.
   */
  readonly readTimeoutMs?: number;
  /**
   * A presence subscriber silent this long is taken for dead and dropped
   * (PRESENCE_HEARTBEAT.silenceMs unless given). Tests shorten it.
   */
  readonly presenceSilenceMs?: number;
  /** Sees every byte the protocol handlers read, after Noise; tests check what the server sees. */
  readonly onInboundBytes?: InboundObserver;
  /** The operator's HTTP side (dashboard, /metrics, API); off unless given. */
  readonly http?: HttpOptions;
  /** How long a deleted account's name cannot be registered; DEFAULT_COOLING_OFF_MS unless given. */
  readonly coolingOffMs?: number;
  /** The nodes this one federates with (each must list this one, under `name`). */
  readonly federate?: readonly FederatedNode[];
  /** Whether federated nodes may list who is online here (default true). */
  readonly federatedList?: boolean;
  /** Federation quotas and timings; constants.ts FEDERATION_LIMITS unless given. */
  readonly federationLimits?: Partial<FederationLimits>;
  /** How often federation links are checked; links.ts LINK_TIMING unless given. */
  readonly linkTiming?: LinkTiming;
}

/** A running rendezvous. */
export interface Rendezvous {
  readonly name: string;
  readonly node: TincanNode;
  /** Who is logged in now. */
  readonly loggedIn: LoggedInUsers;
  /** The relay's counters (reservations, relayed bytes …); undefined without a relay. */
  readonly relay: { counters(): RelayCounters } | undefined;
  /** The protocols' counters. */
  readonly metrics: Metrics;
  /** The operator's account actions on this node. */
  readonly admin: AdminActions;
  /** The HTTP side, when `http` was given. */
  readonly http: OperatorHttp | undefined;
  /** Federation: the links to the listed nodes and this node's folded name. */
  readonly federation: Federation;
  /** The announced (else listen) addresses, each ending in /p2p/<PeerId>. */
  multiaddrs(): string[];
  stop(): Promise<void>;
}

/** Inbound streams of each protocol one connection may have open at once. */
const STREAMS_PER_CONNECTION = {
  account: 4,
  rendezvous: 4,
  directory: DIRECTORY_STREAMS_PER_CONNECTION,
  presence: 2,
  mailbox: 4,
  // A federated node runs lookups for many of its users at once over one connection.
  federation: 64,
};
const PURGE_INTERVAL_MS = 60_000;

/** Opens the data directory, starts the node and serves the rendezvous protocols. */
export async function startRendezvous(options: RendezvousOptions): Promise<Rendezvous> {
  const now = options.now ?? Date.now;
  const log = logger("rendezvous");
  await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const privateKey = await loadOrCreateNodeKey(join(options.dataDir, "node.key"));
  const dbPath = join(options.dataDir, "rendezvous.db");
  const db = await openPrivateDatabase(dbPath, RENDEZVOUS_MIGRATIONS);
  await opaque.ready;
  const serverSetup = settingOrCreate(db, "opaque_server_setup", () => opaque.server.createSetup());
  const accounts = new AccountStore(db);
  const prekeys = new PrekeyStore(db);
  const mailbox = new MailboxStore(db);
  const certifier = new Certifier(privateKey, accounts);
  const loggedIn = new LoggedInUsers();
  // Who follows whom, local users and (federation) remote ones (`bob@work`).
  const interest = new PresenceInterest<PresenceWatcher>();
  const table = new RegistrationTable(options.registrationLimits);
  const throttle = new AccountThrottle();
  const mailSignal = new MailSignal();
  const relay = options.relay === false ? undefined : new RendezvousRelay(loggedIn, options.relay);
  const metrics = new Metrics(now);
  const adminStore = new AccountAdminStore(db);
  const policy = accountPolicy(adminStore, options.coolingOffMs ?? DEFAULT_COOLING_OFF_MS);

  let node: TincanNode;
  try {
    node = await createNode({
      privateKey,
      listen: options.listen,
      agent: `tincan/${VERSION} rendezvous ${options.name}`,
      server: true,
      ...(options.nodeLimits ? { limits: options.nodeLimits } : {}),
      ...(options.announce ? { announce: options.announce } : {}),
      ...(relay ? { relayServer: relay.server(), gater: relay.gater() } : {}),
    });
  } catch (err: unknown) {
    db.close();
    throw err;
  }
  const serverId = node.peerId.toString();
  const frames = (name: keyof typeof FRAMES): FrameLimits =>
    options.readTimeoutMs === undefined
      ? FRAMES[name]
      : { ...FRAMES[name], readTimeoutMs: options.readTimeoutMs };
  const mailboxLimits: MailboxLimits = { ...MAILBOX_LIMITS, ...options.mailboxLimits };
  const federationLimits: FederationLimits = { ...FEDERATION_LIMITS, ...options.federationLimits };
  const forwardQueue = new ForwardQueueStore(db);
  const federation = new Federation({
    libp2p: node,
    key: privateKey,
    name: options.name,
    nodes: options.federate ?? [],
    showOnline: options.federatedList ?? true,
    queue: forwardQueue,
    remotePrekeys: new RemotePrekeysStore(db),
    accounts,
    prekeys,
    mailbox,
    certifier,
    loggedIn,
    interest,
    table,
    log: logger("rendezvous:federation"),
    now,
    metrics,
    mailSignal,
    mailboxLimits,
    limits: federationLimits,
    ...(options.linkTiming ? { linkTiming: options.linkTiming } : {}),
    frames: frames("federation"),
  });
  const logins = new ReplacedLogins((peerId) => node.getConnections(peerIdFromString(peerId)));
  const handlers = {
    account: accountProtocol({
      serverSetup,
      serverId,
      accounts,
      retiredKeys: new RetiredKeyStore(db),
      certifier,
      loggedIn,
      throttle,
      log: logger("rendezvous:account"),
      now,
      logins,
      frames: frames("account"),
      metrics,
      policy,
    }),
    rendezvous: rendezvousProtocol({
      table,
      loggedIn,
      log: logger("rendezvous:discovery"),
      now,
      frames: frames("rendezvous"),
      metrics,
    }),
    directory: directoryProtocol({
      accounts,
      prekeys,
      certifier,
      loggedIn,
      table,
      log: logger("rendezvous:directory"),
      now,
      frames: frames("directory"),
      metrics,
      federation,
    }),
    presence: presenceProtocol({
      loggedIn,
      interest,
      logins,
      log: logger("rendezvous:presence"),
      frames: frames("presence"),
      ...(options.presenceSilenceMs ? { silenceMs: options.presenceSilenceMs } : {}),
      mailSignal,
      metrics,
      remote: federation.presence,
      now,
    }),
    mailbox: mailboxProtocol({
      accounts,
      mailbox,
      loggedIn,
      log: logger("rendezvous:mailbox"),
      now,
      limits: mailboxLimits,
      frames: frames("mailbox"),
      mailSignal,
      metrics,
      federation,
    }),
    federation: federation.handler,
  };
  for (const name of Object.keys(handlers) as (keyof typeof handlers)[]) {
    const handler = guarded(logger(`rendezvous:${name}`), handlers[name]);
    const { onInboundBytes } = options;
    await node.handle(
      PROTOCOL[name],
      onInboundBytes ? tapInbound(PROTOCOL[name], handler, onInboundBytes) : handler,
      {
        maxInboundStreams: STREAMS_PER_CONNECTION[name],
        // Only federation opens streams of its protocol from here (to federated nodes).
        maxOutboundStreams: name === "federation" ? STREAMS_PER_CONNECTION.federation : 1,
      },
    );
  }
  node.addEventListener("peer:disconnect", (evt) => {
    const peerId = evt.detail.toString();
    table.removePeer(peerId);
    const user = loggedIn.logout(peerId, now());
    if (user) log.info(`${user.username} went offline`);
  });
  const purgeExpired = () => {
    table.purgeExpired(now());
    const purged = mailbox.purgeExpired(now());
    if (purged > 0) log.info(`purged ${purged} expired mails`);
    const expired = forwardQueue.purge(now(), now() - federationLimits.recordTtlMs);
    if (expired > 0) log.info(`${expired} mails for federated nodes expired unforwarded`);
  };
  purgeExpired();
  const purge = setInterval(purgeExpired, PURGE_INTERVAL_MS);

  // Operator hook: account actions take effect on this node, and the HTTP side when asked for.
  const enforcer = new AccountEnforcer({
    db,
    store: adminStore,
    online: () => loggedIn.online(),
    disconnect: async (peerId) => {
      await node.hangUp(peerIdFromString(peerId)).catch(() => {});
    },
    log: logger("rendezvous:admin"),
  });
  const admin = new AdminActions(db, now, () => enforcer.sweep());
  let http: OperatorHttp | undefined;
  if (options.http) {
    try {
      http = await startOperatorHttp(
        options.http,
        options.dataDir,
        operatorPort({
          name: options.name,
          node,
          loggedIn,
          announce: options.announce ?? [],
          relay,
          federation,
          metrics,
          stats: new StatsStore(db),
          admin,
          throttle,
          now,
        }),
      );
    } catch (err: unknown) {
      enforcer.stop();
      clearInterval(purge);
      await node.stop();
      db.close();
      throw err;
    }
  }

  federation.start();
  log.info(`rendezvous ${options.name} is ${serverId}`);
  return {
    name: options.name,
    node,
    loggedIn,
    relay,
    metrics,
    admin,
    http,
    federation,
    multiaddrs: () => node.getMultiaddrs().map(String),
    stop: async () => {
      clearInterval(purge);
      await federation.stop();
      enforcer.stop();
      await http?.stop();
      await node.stop();
      db.close();
    },
  };
}
