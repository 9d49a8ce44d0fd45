/**
 * The raw baseline protocols: length-prefixed echo with no protobuf, no auth and no storage, on
 * a fresh stream per request or on one long-lived stream.
 */
import type { PeerId } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import type { LengthPrefixedStream } from "@libp2p/utils";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { TincanNode } from "../src/net/node.ts";
import { openStream } from "../src/net/dial.ts";

/** One request and its echo, then the stream closes. */
export const ECHO_ONCE_PROTOCOL = "/tincan-bench/echo-once/1.0.0";
/** Requests echoed until the client closes. */
export const ECHO_PROTOCOL = "/tincan-bench/echo/1.0.0";
/** Largest echoed frame. */
const MAX_ECHO_BYTES = 64 * 1024;
const STREAMS_PER_CONNECTION = 64;

/** Serves both echo protocols on `node`. */
export async function serveEcho(node: TincanNode): Promise<void> {
  const options = { maxInboundStreams: STREAMS_PER_CONNECTION };
  await node.handle(ECHO_ONCE_PROTOCOL, async (stream) => {
    const lp = lpStream(stream, { maxDataLength: MAX_ECHO_BYTES });
    try {
      await lp.write(await lp.read());
      await stream.close();
    } catch (err: unknown) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }, options);
  await node.handle(ECHO_PROTOCOL, async (stream) => {
    const lp = lpStream(stream, { maxDataLength: MAX_ECHO_BYTES });
    try {
      while (true) await lp.write(await lp.read());
    } catch {
      // the client closed its side (or reset): close ours
    }
    await stream.close().catch(() => {});
  }, options);
}

/** Sends `payload` on a fresh echo-once stream and waits for its echo and the close. */
export async function echoOnFreshStream(
  node: TincanNode,
  target: Multiaddr | PeerId,
  payload: Uint8Array,
): Promise<void> {
  const stream = await openStream(node, target, ECHO_ONCE_PROTOCOL);
  const lp = lpStream(stream, { maxDataLength: MAX_ECHO_BYTES });
  await lp.write(payload);
  await lp.read();
  await stream.close();
}

/** An echo stream kept open for many round trips. */
export class EchoSession {
  private constructor(private readonly lp: LengthPrefixedStream) {}

  /** Opens the long-lived echo stream to `target`. */
  static async open(node: TincanNode, target: Multiaddr | PeerId): Promise<EchoSession> {
    const stream = await openStream(node, target, ECHO_PROTOCOL);
    return new EchoSession(lpStream(stream, { maxDataLength: MAX_ECHO_BYTES }));
  }

  /** Sends `payload` and waits for its echo. */
  async roundTrip(payload: Uint8Array): Promise<void> {
    await this.lp.write(payload);
    await this.lp.read();
  }

  /**
   * Writes `count` copies of `payload` without waiting for their echoes, while reading the echoes
   * as they come back; resolves once all `count` have come back.
   */
  async pipeline(payload: Uint8Array, count: number): Promise<void> {
    const reading = (async () => {
      for (let i = 0; i < count; i++) await this.lp.read();
    })();
    for (let i = 0; i < count; i++) await this.lp.write(payload);
    await reading;
  }

  /** Closes the stream. */
  async close(): Promise<void> {
    await this.lp.unwrap().close().catch(() => {});
  }
}
