/** Multiaddr helpers. */
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";

/** The PeerId in the last /p2p/ component of `address`, or undefined. */
export function peerIdOf(address: Multiaddr): string | undefined {
  return address.getComponents().findLast((c) => c.name === "p2p")?.value;
}

/**
 * Parses a multiaddr given by a user.
 * @throws TypeError naming the bad address.
 */
export function parseMultiaddr(input: string): Multiaddr {
  try {
    return multiaddr(input);
  } catch (err: unknown) {
    throw new TypeError(`"${input}" is not a valid multiaddr (e.g. /ip4/127.0.0.1/tcp/4001)`, {
      cause: err,
    });
  }
}
