/**
 * Wraps a protocol handler so that no stream can crash the node: protocol violations reset the
 * stream quietly, anything unexpected is logged and resets it too.
 */
import type { Connection, Stream, StreamHandler } from "@libp2p/interface";
import { ProtocolError } from "../errors.ts";
import type { Logger } from "../log.ts";

/** A handler that may throw; `guarded` turns its failures into resets. */
export type ProtocolHandler = (stream: Stream, connection: Connection) => Promise<void>;

/** Returns a libp2p stream handler that runs `handler` and contains its failures. */
export function guarded(log: Logger, handler: ProtocolHandler): StreamHandler {
  return async (stream, connection) => {
    try {
      await handler(stream, connection);
    } catch (err: unknown) {
      const reason = err instanceof Error ? err : new Error(String(err));
      if (err instanceof ProtocolError) {
        log.debug(`reset a stream from ${connection.remotePeer}: ${reason.message}`);
      } else if (stream.status === "open") {
        log.error(`stream from ${connection.remotePeer} failed: ${reason.stack ?? reason.message}`);
      }
      stream.abort(reason);
    }
  };
}
