/**
 * Circuit relay v2 on the rendezvous (libp2p circuit-relay-v2 spec): reservations and relayed
 * connections for logged-in users only, with operator limits, and counters the dashboard reads.
 *
 * - A reservation is refused with the spec's PERMISSION_DENIED unless the reserving PeerId is
 *   logged in, and while its user already holds `reservationsPerUser` reservations on other
 *   PeerIds; beyond `maxReservations` in all the library answers RESERVATION_REFUSED.
 * - A relayed connection is refused (PERMISSION_DENIED) unless its source is logged in too, and
 *   while the relay carried more than `bandwidthBytesPerSecond` on average over the last
 *   BANDWIDTH_WINDOW_MS (admission control: running connections are never cut for it).
 * - Each relayed connection lasts at most `connectionDurationMs` and carries at most
 *   `connectionDataBytes`; then the relay closes it and the peers dial again. tincan's defaults
 *   (24 h, 64 MiB) are far above the library's (2 min, 128 KiB) so a relayed chat lasts for
 *   hours; file data never crosses the relay (see the README, "How a chat is carried").
 */
import type {
  CircuitRelayServerComponents,
  CircuitRelayServerInit,
  CircuitRelayService,
} from "@libp2p/circuit-relay-v2";
import { circuitRelayServer } from "@libp2p/circuit-relay-v2";
import type { ConnectionGater, PeerId, Stream, StreamHandler } from "@libp2p/interface";
import type { LoggedInUsers } from "./logged_in_users.ts";

/** The operator's relay limits. */
export interface RelayLimits {
  /** Reservations held at once, in all. */
  readonly maxReservations: number;
  /** Reservations one user may hold at once (one per device logged in). */
  readonly reservationsPerUser: number;
  /** How long one relayed connection may last. */
  readonly connectionDurationMs: number;
  /** How many bytes one relayed connection may carry (both directions). */
  readonly connectionDataBytes: number;
  /** The relay's total rate, averaged over BANDWIDTH_WINDOW_MS; new connections wait above it. */
  readonly bandwidthBytesPerSecond: number;
}

/** tincan's defaults: hours of chat per relayed connection, a reservation for each of ten thousand users (NODE_LIMITS.maxConnections). */
export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxReservations: 12_000,
  reservationsPerUser: 4,
  connectionDurationMs: 24 * 60 * 60 * 1000,
  connectionDataBytes: 64 * 1024 * 1024,
  bandwidthBytesPerSecond: 16 * 1024 * 1024,
};

/**
 * The library's own per-connection defaults (circuit-relay-v2 constants.ts DEFAULT_DURATION_LIMIT
 * and DEFAULT_DATA_LIMIT), which tincan's must exceed.
 */
export const LIBP2P_RELAY_DEFAULTS = { connectionDurationMs: 2 * 60 * 1000, dataBytes: 1 << 17 };

/** The window the total relay bandwidth is averaged over. */
export const BANDWIDTH_WINDOW_MS = 10_000;

/** The multicodec of the relay's hop protocol (circuit-relay-v2 spec). */
const HOP_PROTOCOL = "/libp2p/circuit/relay/0.2.0/hop";

/** What the relay did so far, for the dashboard: read-only numbers. */
export interface RelayCounters {
  /** Reservations held now. */
  readonly reservations: number;
  /** Reservations refused (not logged in, or the user's limit). */
  readonly refusedReservations: number;
  /** Relayed connections opened. */
  readonly relayedConnections: number;
  /** Relayed connections refused (source not logged in, or over the bandwidth). */
  readonly refusedConnections: number;
  /** Bytes carried over relayed connections, both directions (hop streams). */
  readonly relayedBytes: number;
}

/** The relay of one rendezvous: its gater, its libp2p service factory, and its counters. */
export class RendezvousRelay {
  readonly limits: RelayLimits;
  #service: CircuitRelayService | undefined;
  #refusedReservations = 0;
  #relayedConnections = 0;
  #refusedConnections = 0;
  #relayedBytes = 0;
  /** Bytes counted per second slot of the bandwidth window. */
  readonly #window = new Map<number, number>();

  constructor(
    private readonly loggedIn: LoggedInUsers,
    limits: Partial<RelayLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_RELAY_LIMITS, ...limits };
  }

  /** The counters now. */
  counters(): RelayCounters {
    return {
      reservations: this.#service?.reservations.size ?? 0,
      refusedReservations: this.#refusedReservations,
      relayedConnections: this.#relayedConnections,
      refusedConnections: this.#refusedConnections,
      relayedBytes: this.#relayedBytes,
    };
  }

  /** The connection gater of the rendezvous node: decides reservations and relayed connections. */
  gater(): ConnectionGater {
    return {
      denyInboundRelayReservation: (peer) => {
        const deny = this.#denyReservation(peer);
        if (deny) this.#refusedReservations++;
        return deny;
      },
      denyOutboundRelayedConnection: (source) => {
        const deny = this.loggedIn.usernameOf(source.toString()) === undefined ||
          this.#rate() > this.limits.bandwidthBytesPerSecond;
        if (deny) this.#refusedConnections++;
        else this.#relayedConnections++;
        return deny;
      },
    };
  }

  /** The circuit relay server service, for createNode's relayServer. */
  server(): (components: CircuitRelayServerComponents) => CircuitRelayService {
    const init: CircuitRelayServerInit = {
      reservations: {
        maxReservations: this.limits.maxReservations,
        defaultDurationLimit: this.limits.connectionDurationMs,
        defaultDataLimit: BigInt(this.limits.connectionDataBytes),
      },
    };
    return (components) => {
      // The hop handler is the library's; the registrar it registers through counts its bytes.
      const registrar = components.registrar;
      const counting = Object.create(registrar, {
        handle: {
          value: (protocol: string, handler: StreamHandler, options?: object) =>
            registrar.handle(
              protocol,
              protocol === HOP_PROTOCOL ? this.#counted(handler) : handler,
              options,
            ),
        },
      });
      const withCounting = Object.create(components, { registrar: { value: counting } });
      this.#service = circuitRelayServer(init)(withCounting);
      return this.#service;
    };
  }

  #denyReservation(peer: PeerId): boolean {
    const username = this.loggedIn.usernameOf(peer.toString());
    if (username === undefined) return true;
    let held = 0;
    for (const [holder] of this.#service?.reservations.entries() ?? []) {
      if (!holder.equals(peer) && this.loggedIn.usernameOf(holder.toString()) === username) held++;
    }
    return held >= this.limits.reservationsPerUser;
  }

  /** `handler` with the bytes of its stream counted both ways. */
  #counted(handler: StreamHandler): StreamHandler {
    return (stream: Stream, connection) => {
      stream.addEventListener("message", (event) => this.#count(event.data.byteLength));
      const send = stream.send.bind(stream);
      stream.send = (data) => {
        this.#count(data.byteLength);
        return send(data);
      };
      return handler(stream, connection);
    };
  }

  #count(bytes: number): void {
    this.#relayedBytes += bytes;
    const slot = Math.floor(this.now() / 1000);
    this.#window.set(slot, (this.#window.get(slot) ?? 0) + bytes);
  }

  /** The average rate over the bandwidth window, in bytes per second. */
  #rate(): number {
    const oldest = Math.floor((this.now() - BANDWIDTH_WINDOW_MS) / 1000);
    let bytes = 0;
    for (const [slot, n] of this.#window) {
      if (slot <= oldest) this.#window.delete(slot);
      else bytes += n;
    }
    return bytes / (BANDWIDTH_WINDOW_MS / 1000);
  }
}
