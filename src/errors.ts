/**
 * Error classes for conditions a caller catches. Everything else uses the built-in classes.
 */

/** Bad command-line usage: the CLI prints the message and the command's help hint, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A remote node answered a request with a non-OK status. `status` is the protocol's status name
 * (for example `E_THROTTLED`); `retryAfterMs` is set when the server says when to retry.
 */
export class RemoteError extends Error {
  override name = "RemoteError";
  constructor(
    message: string,
    readonly status: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A peer sent bytes that break the protocol: the stream is closed or reset. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}
