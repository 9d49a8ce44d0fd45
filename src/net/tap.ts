/**
 * Observing the bytes a protocol handler reads, without changing what it reads: for tests and
 * audits that must show what a node sees after Noise decryption (e.g. that the rendezvous never
 * sees a message in plaintext).
 */
import type { StreamHandler } from "@libp2p/interface";

/** Receives each chunk an inbound stream of `protocol` delivers to its handler. */
export type InboundObserver = (protocol: string, bytes: Uint8Array) => void;

/**
 * Wraps `handler` so that `observe` sees every chunk its streams deliver to their reader, as it is
 * delivered (a chunk a reader puts back may be seen twice).
 */
export function tapInbound(
  protocol: string,
  handler: StreamHandler,
  observe: InboundObserver,
): StreamHandler {
  return (stream, connection) => {
    const dispatch = stream.dispatchEvent.bind(stream);
    stream.dispatchEvent = (event: Event): boolean => {
      if (event.type === "message" && "data" in event) {
        const data = event.data as { subarray(): Uint8Array };
        observe(protocol, data.subarray());
      }
      return dispatch(event);
    };
    return handler(stream, connection);
  };
}
