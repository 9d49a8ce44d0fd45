/**
 * Federation, composed: the links to the listed nodes, the vouches for them, remote lookups, the
 * forwarding queue, and the /tincan/federation/1.0.0 handler that answers those nodes. The
 * rendezvous builds one, registers its handler, hands its port to the directory and mailbox
 * protocols, and starts and stops it.
 */
import type { PrivateKey } from "@libp2p/interface";
import type { Logger } from "../../log.ts";
import type { FrameLimits } from "../../net/framed.ts";
import type { TincanNode } from "../../net/node.ts";
import type { ForwardState } from "../../proto/mailbox.ts";
import { type DirectoryResponse, FederatedServer, Status } from "../../proto/services.ts";
import { normalizeServerName } from "../../protocol/qualified_name.ts";
import type { AcceptMailDeps } from "../accept_mail.ts";
import type { Certifier } from "../certifier.ts";
import type { FederationLimits, MailboxLimits } from "../constants.ts";
import type { LoggedInUsers } from "../logged_in_users.ts";
import type { PresenceInterest, PresenceWatcher } from "../presence_interest.ts";
import type { ForwardQueueStore } from "../store/forward_queue.ts";
import type { RemotePrekeysStore } from "../store/remote_prekeys.ts";
import { directoryResponse, type UserDirectoryDeps } from "../user_directory.ts";
import type { FederatedNode } from "./federated_node.ts";
import { federationProtocol } from "./federation_protocol.ts";
import { presenceSubscriptions } from "./presence_subscriptions.ts";
import { RemotePresence, type RemotePresenceFeed } from "./remote_presence.ts";
import { type FederationPort, UnknownServerError } from "./federation_port.ts";
import { Forwarder, type RemoteDeposit, type RemoteDepositAnswer } from "./forwarder.ts";
import {
  FederationLinks,
  LINK_TIMING,
  type LinkState,
  type LinkStatus,
  type LinkTiming,
} from "./links.ts";
import { RemoteDirectory } from "./remote_directory.ts";
import { Vouches } from "./vouches.ts";

/** What federation is built from. */
export interface FederationDeps extends UserDirectoryDeps, AcceptMailDeps {
  readonly libp2p: TincanNode;
  readonly key: PrivateKey;
  /** This node's `--name`. */
  readonly name: string;
  readonly nodes: readonly FederatedNode[];
  /** Whether federated nodes may see who is online here. */
  readonly showOnline: boolean;
  readonly queue: ForwardQueueStore;
  /** The one-time prekeys remote lookups handed out, to catch a replay. */
  readonly remotePrekeys: RemotePrekeysStore;
  readonly certifier: Certifier;
  readonly loggedIn: LoggedInUsers;
  /** Who follows whom: local watchers of remote users (`bob@work`) are in it too. */
  readonly interest: PresenceInterest<PresenceWatcher>;
  readonly log: Logger;
  readonly mailboxLimits: MailboxLimits;
  readonly limits: FederationLimits;
  readonly linkTiming?: LinkTiming;
  /** Frame limits of an inbound request stream; FRAMES.federation unless given. */
  readonly frames?: FrameLimits;
}

const LINK_STATE: Record<LinkState, FederatedServer.LinkState> = {
  up: FederatedServer.LinkState.UP,
  down: FederatedServer.LinkState.DOWN,
  connecting: FederatedServer.LinkState.CONNECTING,
};

/** A federated node as SERVERS and the operator's dashboard show it. */
export interface FederatedNodeStatus {
  readonly name: string;
  readonly peerId: string;
  readonly state: LinkState;
  /** Why the link is down ("" when it is not). */
  readonly lastError: string;
  /** Since when the link is in its state. */
  readonly since: number;
  /** Envelopes waiting here to be forwarded to it. */
  readonly queuedMail: number;
  /** What this node refused of it (LinkStatus.refused). */
  readonly refused: number;
}

/** One rendezvous's federation. */
export class Federation implements FederationPort {
  /** This node's case-folded name. */
  readonly name: string;
  readonly links: FederationLinks;
  /** The handler of /tincan/federation/1.0.0. */
  readonly handler: ReturnType<typeof federationProtocol>;
  readonly #vouches: Vouches;
  readonly #directory: RemoteDirectory;
  readonly #forwarder: Forwarder;
  readonly #presence: RemotePresence;

  constructor(deps: FederationDeps) {
    this.name = normalizeServerName(deps.name);
    this.links = new FederationLinks(
      deps.libp2p,
      this.name,
      deps.nodes,
      deps.log,
      deps.now,
      deps.linkTiming,
    );
    this.#vouches = new Vouches(deps.key, deps.now);
    this.#directory = new RemoteDirectory(
      this.links,
      this.#vouches,
      deps.log,
      deps.metrics,
      deps.now,
      deps.remotePrekeys,
      deps.limits.prekeyMemory,
    );
    this.#forwarder = new Forwarder({ ...deps, links: this.links });
    this.#presence = new RemotePresence(
      this.name,
      this.links,
      deps.loggedIn,
      deps.interest,
      deps.log,
      deps.linkTiming ?? LINK_TIMING,
    );
    this.handler = federationProtocol({
      ...deps,
      name: this.name,
      listed: (name) => this.links.node(name),
      heard: (name) => this.links.heard(name),
      refused: (name) => this.links.refused(name),
      subscriptions: presenceSubscriptions(deps.loggedIn, deps.log),
    });
  }

  /** The presence of the remote users local watchers follow (for the presence protocol). */
  get presence(): RemotePresenceFeed {
    return this.#presence;
  }

  /** Starts the links' prober and the forwarding of queued mail. */
  start(): void {
    this.links.start();
    this.#forwarder.start();
    this.#presence.start();
  }

  /** Stops them; queued mail stays queued. */
  async stop(): Promise<void> {
    this.links.stop();
    this.#presence.stop();
    await this.#forwarder.stop();
  }

  /** The listed node `server` names (FederationPort.remote). */
  remote(server: string | undefined): FederatedNode | undefined {
    if (server === undefined || server === "") return undefined;
    let name: string;
    try {
      name = normalizeServerName(server);
    } catch (err: unknown) {
      throw new UnknownServerError((err as RangeError).message);
    }
    if (name === this.name) return undefined;
    const node = this.links.node(name);
    if (node === undefined) {
      const known = this.links.statuses().map((s) => s.node.name);
      throw new UnknownServerError(
        `${this.name} does not federate with ${name}` +
          (known.length > 0 ? ` (it federates with ${known.join(", ")})` : ""),
      );
    }
    return node;
  }

  /** A remote user's bundle, vouched; the asker then hears of its presence. */
  async lookup(
    node: FederatedNode,
    username: string,
    without: boolean,
    asker: string,
  ): Promise<DirectoryResponse> {
    const found = await this.#directory.lookup(node, username, without);
    // A lookup is the start of a conversation: the asker's presence streams follow that user.
    if (found.status === Status.OK) {
      this.#presence.interested(asker, node.name, username.toLowerCase());
    }
    return found;
  }

  /** A remote user's key log, checked and vouched. */
  keyLog(node: FederatedNode, username: string): Promise<DirectoryResponse> {
    return this.#directory.keyLog(node, username);
  }

  /** One page of who is online at `node`. */
  listOnline(node: FederatedNode, cursor: string, limit: number): Promise<DirectoryResponse> {
    return this.#directory.listOnline(node, cursor, limit);
  }

  /** Each federated node, its link, the mail queued for it and what was refused of it. */
  nodes(): FederatedNodeStatus[] {
    return this.links.statuses().map((status) => this.#status(status));
  }

  #status(status: LinkStatus): FederatedNodeStatus {
    return {
      name: status.node.name,
      peerId: status.node.peerId.toString(),
      state: status.state,
      lastError: status.lastError,
      since: status.since,
      queuedMail: this.#forwarder.queued(status.node.name),
      refused: status.refused,
    };
  }

  /** This node's name and its federated nodes with their link state (SERVERS). */
  async servers(): Promise<DirectoryResponse> {
    const servers: FederatedServer[] = [];
    for (const status of this.links.statuses()) {
      const node = this.#status(status);
      servers.push({
        name: node.name,
        peerId: node.peerId,
        state: LINK_STATE[node.state],
        lastError: node.lastError,
        since: BigInt(node.since),
        queuedMail: node.queuedMail,
        vouch: await this.#vouches.for(status.node),
      });
    }
    return directoryResponse(Status.OK, "", { serverName: this.name, servers });
  }

  /** Mail for a user of `node`, forwarded or queued. */
  deposit(node: FederatedNode, deposit: RemoteDeposit): Promise<RemoteDepositAnswer> {
    return this.#forwarder.deposit(node, deposit);
  }

  /** Where `sender`'s mail for remote users stands. */
  forwardStatus(sender: string, messageIds: readonly Uint8Array[]): ForwardState[] {
    return this.#forwarder.status(sender, messageIds);
  }
}
