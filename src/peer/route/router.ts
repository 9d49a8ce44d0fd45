/**
 * The peer's dialing and route service: reaches a contact along the dial-order policy (direct →
 * relayed; the caller then falls back to the mailbox), remembers the attempts for `/route`,
 * opens protocol streams on the connection it found (relayed ones only for protocols that may run
 * on a limited connection: chat yes, file data no), reserves a slot on the rendezvous's relay
 * after each login, says which of our addresses to announce, and tells once per contact when
 * DCUtR upgraded a relayed connection to a direct one.
 */
import type { Connection, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { announceable, isRelayed, scopeOf } from "../../net/address_scope.ts";
import type { TincanNode } from "../../net/node.ts";
import type { Logger } from "../../log.ts";
import { planDial } from "./dial_policy.ts";
import {
  type Attempt,
  failureWhy,
  formatAttempts,
  rendezvousName,
  type RouteReport,
} from "./route_report.ts";

/** The multiaddr code of /p2p/. */
const P2P_CODE = 421;

/** How a live connection carries a chat. */
export type Carrier = "direct" | "relayed";

/** Only a relayed connection reaches the peer, and the protocol may not run on one. */
export class RelayedOnlyError extends Error {
  override name = "RelayedOnlyError";
}

/** No path reached the peer; `attempts` says why. */
export class UnreachableError extends Error {
  override name = "UnreachableError";
  constructor(message: string, readonly attempts: readonly Attempt[]) {
    super(message);
  }
}

/** What the router tells the peer. */
export interface RouterPorts {
  readonly node: TincanNode;
  /** The contact's username for a PeerId (undefined for strangers and the rendezvous). */
  readonly usernameOf: (peer: PeerId) => string | undefined;
  /** A relayed connection to `peer` (the user `username`) was upgraded to a direct one. */
  readonly onUpgrade: (peer: PeerId, username: string) => void;
  readonly log: Logger;
}

/** How a connection carries: relayed when it has relay limits or goes through a circuit. */
export function carrierOf(connection: Pick<Connection, "limits" | "remoteAddr">): Carrier {
  return connection.limits !== undefined || isRelayed(connection.remoteAddr) ? "relayed" : "direct";
}

/**
 * Why a `protocol` stream to `name` may not open on a connection that carries `carrier` (only
 * protocols allowed `onRelay` run on a relayed one), or undefined when it may.
 */
export function relayRefusal(
  carrier: Carrier,
  onRelay: boolean,
  name: string,
  protocol: string,
): string | undefined {
  if (onRelay || carrier === "direct") return undefined;
  return `only a relayed connection reaches ${name}: ${protocol} waits for a direct one ` +
    `(the relay carries chat, not file data)`;
}

/** The dialing and route service of one running peer. */
export class Router {
  /** The attempts of the last dial of each peer. */
  readonly #attempts = new Map<string, readonly Attempt[]>();
  /** Peers we had a relayed connection with, and those already upgraded (told once). */
  readonly #relayed = new Set<string>();
  readonly #upgraded = new Set<string>();
  /** The identify agents of relays, by PeerId (they name the rendezvous). */
  readonly #agents = new Map<string, string>();
  readonly #onOpen = (event: CustomEvent<Connection>) => this.#opened(event.detail);

  constructor(private readonly ports: RouterPorts) {
    ports.node.addEventListener("connection:open", this.#onOpen);
  }

  /** Stops watching connections. */
  close(): void {
    this.ports.node.removeEventListener("connection:open", this.#onOpen);
  }

  /** The best open connection to `peer`: a direct one, else a relayed one. */
  #open(peer: PeerId): Connection | undefined {
    const open = this.ports.node.getConnections(peer).filter((c) => c.status === "open");
    return open.find((c) => carrierOf(c) === "direct") ?? open[0];
  }

  /** How chats with `peer` are carried now, if a connection is open. */
  carrier(peer: PeerId): Carrier | undefined {
    const open = this.#open(peer);
    return open && carrierOf(open);
  }

  /**
   * A connection to `peer`: an open one, else the first path of the dial-order policy that
   * answers within its timeout, from the addresses in the peer store.
   * @throws UnreachableError saying what each path did; the signal's reason when it aborts.
   */
  async connect(peer: PeerId, signal: AbortSignal): Promise<Connection> {
    const open = this.#open(peer);
    if (open) return open;
    const known = await this.ports.node.peerStore.get(peer).then(
      (p) => p.addresses.map((a) => a.multiaddr),
      () => [] as Multiaddr[],
    );
    const attempts: Attempt[] = [];
    try {
      for (const step of planDial(known, peer.toString())) {
        signal.throwIfAborted();
        const started = performance.now();
        const timeout = AbortSignal.timeout(step.timeoutMs);
        try {
          const connection = await this.ports.node.dial([...step.addresses], {
            signal: AbortSignal.any([timeout, signal]),
          });
          const ms = performance.now() - started;
          attempts.push({ kind: step.kind, ok: true, ms, address: String(connection.remoteAddr) });
          return connection;
        } catch (err: unknown) {
          signal.throwIfAborted();
          const ms = performance.now() - started;
          attempts.push({
            kind: step.kind,
            ok: false,
            ms,
            why: failureWhy(err, timeout.aborted, ms),
          });
        }
      }
    } finally {
      this.#attempts.set(peer.toString(), attempts);
    }
    const why = attempts.length === 0
      ? "it has announced no address"
      : formatAttempts(attempts, (id) => this.relayName(id));
    throw new UnreachableError(`cannot reach ${peer}: ${why}`, attempts);
  }

  /**
   * Opens a `protocol` stream to `peer`, on a relayed connection only when `onRelay`.
   * @throws RelayedOnlyError when only a relayed connection exists and `onRelay` is false;
   * UnreachableError; the stream's errors.
   */
  async openStream(
    peer: PeerId,
    protocol: string,
    signal: AbortSignal,
    onRelay: boolean,
  ): Promise<Stream> {
    const connection = await this.connect(peer, signal);
    const refusal = relayRefusal(
      carrierOf(connection),
      onRelay,
      this.ports.usernameOf(peer) ?? peer.toString(),
      protocol,
    );
    if (refusal !== undefined) throw new RelayedOnlyError(refusal);
    return await connection.newStream(protocol, { signal, runOnLimitedConnection: onRelay });
  }

  /**
   * How messages to `peer` (the user `user`) go now: the open connection, else a fresh dial
   * along the policy; queued when nothing answers (`why` from the attempts) or `online` is false.
   */
  async report(
    user: string,
    peer: PeerId,
    online: boolean,
    signal: AbortSignal,
  ): Promise<RouteReport> {
    if (!online && this.#open(peer) === undefined) {
      return { user, attempts: [], carrier: "queued", why: `${user} is offline` };
    }
    try {
      const connection = await this.connect(peer, signal);
      return {
        user,
        attempts: this.#attempts.get(peer.toString()) ?? [],
        carrier: carrierOf(connection),
        address: String(connection.remoteAddr),
      };
    } catch (err: unknown) {
      if (!(err instanceof UnreachableError)) throw err;
      return {
        user,
        attempts: err.attempts,
        carrier: "queued",
        why: err.attempts.length === 0 ? `${user} has announced no address` : "no path answered",
      };
    }
  }

  /** A relay's name: the rendezvous name from its identify agent, else its PeerId's end. */
  relayName(peerId: string): string {
    return rendezvousName(this.#agents.get(peerId)) ?? `…${peerId.slice(-8)}`;
  }

  /**
   * Reserves a slot on the relay of the rendezvous `peerId` at `address` (with /p2p/), so peers
   * that cannot dial us reach us through it; called after each login (it is refused before).
   * Failure is logged: we stay reachable directly, or by mail.
   */
  async reserve(
    rendezvous: { readonly peerId: PeerId; readonly address: Multiaddr },
  ): Promise<void> {
    const { node, log } = this.ports;
    const agent = await node.peerStore.get(rendezvous.peerId).then(
      (p) => p.metadata.get("AgentVersion"),
      () => undefined,
    );
    if (agent) this.#agents.set(rendezvous.peerId.toString(), new TextDecoder().decode(agent));
    const circuit = rendezvous.address.encapsulate("/p2p-circuit");
    if (node.getMultiaddrs().some((a) => a.toString().startsWith(circuit.toString()))) return;
    try {
      await node.services.controls.listen([circuit]);
    } catch (err: unknown) {
      // libp2p wraps the relay's answer ("reservation failed with status …") in a long message.
      const why = /reservation failed with status \w+/.exec((err as Error).message)?.[0] ??
        (err as Error).message.split("\n")[0];
      log.warn(`no relay reservation at the rendezvous: ${why}`);
    }
  }

  /**
   * Our addresses worth announcing through the rendezvous at `rendezvous`: relayed ones, and
   * direct ones the audience can reach (see address_scope.ts). Our public interface addresses
   * are confirmed first, so identify and DCUtR announce them too.
   */
  announceable(rendezvous: Multiaddr): Multiaddr[] {
    const { controls } = this.ports.node.services;
    const mine = controls.transportAddresses().filter((a) => scopeOf(a) === "public");
    controls.confirm(mine);
    // Without our own /p2p/ at the end, as signed peer records hold them.
    const ours = this.ports.node.getMultiaddrs().map((a) => a.decapsulateCode(P2P_CODE));
    return announceable(ours, rendezvous);
  }

  #opened(connection: Connection): void {
    const peer = connection.remotePeer;
    const key = peer.toString();
    if (carrierOf(connection) === "relayed") {
      this.#relayed.add(key);
      return;
    }
    if (!this.#relayed.has(key) || this.#upgraded.has(key)) return;
    const username = this.ports.usernameOf(peer);
    if (username === undefined) return;
    this.#upgraded.add(key);
    this.ports.onUpgrade(peer, username);
  }
}
