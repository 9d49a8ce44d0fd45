/**
 * A node this rendezvous federates with, as its operator lists it: `NAME=MULTIADDR/p2p/PEERID`
 * (`--federate`, or a `federate` entry of the config file). The name is case-folded; the PeerId
 * is the node's key, so the address cannot be answered by another node (Noise checks it).
 */
import { peerIdFromString } from "@libp2p/peer-id";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { parseMultiaddr, peerIdOf } from "../../net/address.ts";
import { normalizeServerName } from "../../protocol/qualified_name.ts";

/** One listed federated node. */
export interface FederatedNode {
  /** Its case-folded name: users there are `user@name`. */
  readonly name: string;
  /** Where to dial it; ends in /p2p/<peerId>. */
  readonly address: Multiaddr;
  /** Its PeerId: the only one accepted for `name`. */
  readonly peerId: PeerId;
}

/**
 * Parses `NAME=MULTIADDR/p2p/PEERID`.
 * @throws RangeError saying what part is wrong (name, address, missing or bad PeerId).
 */
export function parseFederatedNode(entry: string): FederatedNode {
  const eq = entry.indexOf("=");
  if (eq < 0) {
    throw new RangeError(`"${entry.slice(0, 200)}" must be NAME=MULTIADDR/p2p/PEERID`);
  }
  const name = normalizeServerName(entry.slice(0, eq));
  let address: Multiaddr;
  try {
    address = parseMultiaddr(entry.slice(eq + 1));
  } catch (err: unknown) {
    throw new RangeError(`federated node ${name}: ${(err as Error).message}`);
  }
  const id = peerIdOf(address);
  if (id === undefined) {
    throw new RangeError(`federated node ${name}: the address must end in /p2p/<PeerId>`);
  }
  let peerId: PeerId;
  try {
    peerId = peerIdFromString(id);
  } catch (err: unknown) {
    throw new RangeError(`federated node ${name}: "${id}" is not a PeerId`, { cause: err });
  }
  if (peerId.type !== "Ed25519") {
    throw new RangeError(`federated node ${name}: ${id} is not an Ed25519 PeerId`);
  }
  return { name, address, peerId };
}

/**
 * Checks a whole list: no name twice, no PeerId twice, and not this node's own name.
 * @throws RangeError naming the repeated name or PeerId.
 */
export function checkFederatedNodes(nodes: readonly FederatedNode[], self: string): void {
  const names = new Set<string>();
  const ids = new Set<string>();
  for (const node of nodes) {
    if (node.name === normalizeServerName(self)) {
      throw new RangeError(`federated node ${node.name} has this rendezvous's own name`);
    }
    if (names.has(node.name)) throw new RangeError(`federated node ${node.name} is listed twice`);
    const id = node.peerId.toString();
    if (ids.has(id)) throw new RangeError(`PeerId ${id} is listed for two federated nodes`);
    names.add(node.name);
    ids.add(id);
  }
}
