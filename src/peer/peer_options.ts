/** How to make a peer (createPeer's options), and where it listens by default. */
import type { AccountOptions } from "./clients/account.ts";
import type { Profile } from "./profile.ts";
import type { ServiceFactories } from "./service.ts";

/** No services: a peer that only chats. */
export type NoServices = Readonly<Record<never, never>>;

/** How to make a peer. */
export interface PeerOptions<F extends ServiceFactories = NoServices> extends AccountOptions {
  readonly profile: Profile;
  readonly username: string;
  readonly password: string;
  /** The rendezvous address (with or without /p2p/). */
  readonly rendezvous: string;
  /** Register the account first when this profile has not registered it there yet. */
  readonly register?: boolean;
  /** Where to listen for other peers; default DEFAULT_PEER_LISTEN. */
  readonly listen?: readonly string[];
  readonly now?: () => number;
  /** How often mail held at our home for another node is asked about; FORWARD_POLL_MS unless given. */
  readonly forwardPollMs?: number;
  /** The features this peer runs, by name (`peer.services.<name>`): rooms(), files(…) … */
  readonly services?: F;
}

/** Where a peer listens by default: every IPv4 and IPv6 interface, on free ports. */
export const DEFAULT_PEER_LISTEN: readonly string[] = ["/ip4/0.0.0.0/tcp/0", "/ip6/::/tcp/0"];
