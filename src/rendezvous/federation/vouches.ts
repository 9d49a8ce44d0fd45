/**
 * The server vouches this rendezvous gives its peers: for each federated node, "`name` is the
 * node with this key", signed with this node's key, re-signed when less than half its lifetime
 * is left.
 */
import type { PrivateKey } from "@libp2p/interface";
import { issueServerVouch } from "../../crypto/server_vouch.ts";
import { VOUCH_LIFETIME_MS } from "../constants.ts";
import type { FederatedNode } from "./federated_node.ts";

/** Signs and caches vouches for the listed nodes. */
export class Vouches {
  readonly #cache = new Map<string, { bytes: Uint8Array; renewAt: number }>();

  constructor(
    private readonly key: PrivateKey,
    private readonly now: () => number,
    private readonly lifetimeMs: number = VOUCH_LIFETIME_MS,
  ) {}

  /** The vouch for `node`, valid for at least half the lifetime from now. */
  async for(node: FederatedNode): Promise<Uint8Array> {
    const now = this.now();
    const cached = this.#cache.get(node.name);
    if (cached !== undefined && now < cached.renewAt) return cached.bytes;
    const key = node.peerId.publicKey;
    if (key === undefined) throw new TypeError(`${node.name}'s PeerId carries no public key`);
    const bytes = await issueServerVouch({
      name: node.name,
      key: key.raw,
      issuedAt: BigInt(now),
      expiresAt: BigInt(now + this.lifetimeMs),
    }, this.key);
    this.#cache.set(node.name, { bytes, renewAt: now + this.lifetimeMs / 2 });
    return bytes;
  }
}
