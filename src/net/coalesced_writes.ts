/**
 * A transport wrapper that makes each send of a raw connection one socket write. libp2p's TCP
 * connection writes every buffer of the list it is given with its own `socket.write`, and a Noise
 * frame arrives as two (its 2-byte length, then its ciphertext), so half of all writes carried two
 * bytes: a rendezvous made ≈ 72 writes per client from connect to presence, and in Deno each
 * `socket.write` costs a native call and a syscall (`writeBuffer` was the largest single item of
 * the rendezvous's CPU profile in the scale bench). The wrapper hands libp2p's upgrader a proxy
 * that, before upgrading a raw connection, makes its `sendData` pass one concatenated buffer; the
 * bytes on the wire are the same. Everything else stays libp2p's.
 */
import type {
  CreateListenerOptions,
  DialTransportOptions,
  MultiaddrConnection,
  Transport,
} from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";

/** The part of a raw connection the wrapper changes (libp2p's AbstractMultiaddrConnection). */
export interface SendsData<R> {
  sendData(data: Uint8ArrayList): R;
}

/**
 * The largest send joined into one buffer. A small send is mostly syscall and packet overhead, so
 * one copy is cheaper than its writes; a large one (file chunks, up to 1 MiB) is mostly bytes, and
 * a copy would cost more than the one short write per 64 KiB Noise frame it saves.
 */
export const MAX_COALESCED_BYTES = 16 * 1024;

/**
 * Makes `connection.sendData` pass a list of several buffers of at most MAX_COALESCED_BYTES on as
 * one buffer (a copy), so the transport writes it at once; larger sends pass as they are. A
 * connection without `sendData` (not libp2p's stream base) is left as it is.
 */
export function coalesceSendData(connection: object): void {
  if (!hasSendData(connection)) return;
  const send = connection.sendData.bind(connection);
  // subarray() concatenates several buffers and returns a single one as it is.
  connection.sendData = (data) =>
    data.byteLength <= MAX_COALESCED_BYTES ? send(new Uint8ArrayList(data.subarray())) : send(data);
}

function hasSendData(connection: object): connection is SendsData<unknown> {
  return typeof (connection as Partial<SendsData<unknown>>).sendData === "function";
}

/** The part of libp2p's Upgrader the wrapper changes. */
export interface UpgradesConnections {
  upgradeInbound(maConn: MultiaddrConnection, ...rest: never[]): Promise<unknown>;
  upgradeOutbound(maConn: MultiaddrConnection, ...rest: never[]): Promise<unknown>;
}

/** `upgrader`, coalescing the sends of every raw connection it upgrades. */
export function coalescingUpgrader<U extends UpgradesConnections>(upgrader: U): U {
  return new Proxy(upgrader, {
    get(target, property) {
      if (property === "upgradeInbound" || property === "upgradeOutbound") {
        const upgrade = target[property].bind(target) as (
          maConn: MultiaddrConnection,
          ...rest: unknown[]
        ) => Promise<unknown>;
        return (maConn: MultiaddrConnection, ...rest: unknown[]) => {
          coalesceSendData(maConn);
          return upgrade(maConn, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A transport factory whose connections (dialled and accepted) write each send at once. */
export function coalescedWrites<C>(
  factory: (components: C) => Transport,
): (components: C) => Transport {
  return (components) => {
    const transport = factory(components);
    return new Proxy(transport, {
      get(target, property) {
        if (property === "dial") {
          return (ma: Parameters<Transport["dial"]>[0], options: DialTransportOptions) =>
            target.dial(ma, { ...options, upgrader: coalescingUpgrader(options.upgrader) });
        }
        if (property === "createListener") {
          return (options: CreateListenerOptions) =>
            target.createListener({ ...options, upgrader: coalescingUpgrader(options.upgrader) });
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
}
