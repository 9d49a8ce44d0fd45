/** Opens a protocol stream to a node given as a multiaddr (with /p2p/) or an already known PeerId. */
import type { PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { TincanNode } from "./node.ts";

/** A node to talk to: its address, or its PeerId when a connection already exists. */
export type Target = Multiaddr | PeerId;

/** Time allowed to connect and negotiate a protocol. */
export const DIAL_TIMEOUT_MS = 10_000;

/** Opens a stream of `protocol` to `target`, within DIAL_TIMEOUT_MS (and before `signal`). */
export async function openStream(
  node: TincanNode,
  target: Target,
  protocol: string,
  signal?: AbortSignal,
): Promise<Stream> {
  const timeout = AbortSignal.timeout(DIAL_TIMEOUT_MS);
  return await node.dialProtocol(target, protocol, {
    signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
  });
}
