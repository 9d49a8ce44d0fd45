/**
 * The one authorization check of /tincan/federation/1.0.0: a request is served only when the
 * node it names in `from` is listed here with exactly the Noise-authenticated PeerId of the
 * connection it came on. Pure.
 */
import type { FederatedNode } from "./federated_node.ts";

/** The listed node a request comes from, or why it is refused. */
export type Authorization = { readonly node: FederatedNode } | { readonly refused: string };

/** Decides whether `peerId`, calling itself `from`, is a node listed by `listed(name)`. */
export function authorizeCaller(
  listed: (name: string) => FederatedNode | undefined,
  from: string,
  peerId: string,
): Authorization {
  const name = from.toLowerCase();
  const node = listed(name);
  if (node === undefined) {
    return { refused: `this node does not federate with "${name.slice(0, 64)}" (${peerId})` };
  }
  if (node.peerId.toString() !== peerId) {
    return { refused: `${name} is listed here with PeerId ${node.peerId}, not ${peerId}` };
  }
  return { node };
}
