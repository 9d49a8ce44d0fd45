/**
 * A small libp2p service that gives tincan the two address-manager and transport-manager calls
 * libp2p keeps internal: confirming our own interface addresses (libp2p 3.3 announces a public
 * address only once something verified it) and listening on a relay after login (a reservation
 * asked for before the login would be refused).
 */
import type { Multiaddr } from "@multiformats/multiaddr";

/** The part of libp2p's address manager the controls use. */
interface AddressManagerPart {
  getAddressesWithMetadata(): { multiaddr: Multiaddr; verified: boolean; type: string }[];
  confirmObservedAddr(addr: Multiaddr, options?: { type?: "transport" }): void;
}

/** The part of libp2p's transport manager the controls use. */
interface TransportManagerPart {
  listen(addrs: Multiaddr[]): Promise<void>;
}

/** What libp2p passes the service (its components, by name). */
export interface NodeControlsComponents {
  readonly addressManager: AddressManagerPart;
  readonly transportManager: TransportManagerPart;
}

/** The controls: see the module comment. */
export interface NodeControls {
  /** Our listen addresses on the interfaces, verified or not (libp2p's transport addresses). */
  transportAddresses(): Multiaddr[];
  /** Marks `addrs` (our own transport addresses) verified, so identify and DCUtR announce them. */
  confirm(addrs: readonly Multiaddr[]): void;
  /**
   * Listens on `addrs` too (e.g. `<relay>/p2p-circuit`: reserves a slot there).
   * @throws when a transport cannot listen there (a refused reservation).
   */
  listen(addrs: readonly Multiaddr[]): Promise<void>;
}

/** The service factory, for createLibp2p's services. */
export function nodeControls(): (components: NodeControlsComponents) => NodeControls {
  return ({ addressManager, transportManager }) => ({
    transportAddresses: () =>
      addressManager.getAddressesWithMetadata()
        .filter((a) => a.type === "transport")
        .map((a) => a.multiaddr),
    confirm(addrs) {
      for (const addr of addrs) addressManager.confirmObservedAddr(addr, { type: "transport" });
    },
    listen: (addrs) => transportManager.listen([...addrs]),
  });
}
