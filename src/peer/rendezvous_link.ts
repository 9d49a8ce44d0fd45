/**
 * Which rendezvous a peer uses, and connecting to it with the PeerId pin: an address without
 * /p2p/ is trusted on first use and its PeerId pinned in the profile; a later different PeerId at
 * that address is refused.
 */
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { DatabaseSync } from "node:sqlite";
import { parseMultiaddr, peerIdOf } from "../net/address.ts";
import type { TincanNode } from "../net/node.ts";
import { getSetting, setSetting } from "../store/settings.ts";
import { DIAL_TIMEOUT_MS } from "../net/dial.ts";

/** The local default rendezvous address. */
export const DEFAULT_RENDEZVOUS = "/ip4/127.0.0.1/tcp/4001";
const SAVED = "rendezvous";
const PIN_PREFIX = "rendezvous-pin:";

/** The rendezvous at an address pinned to another PeerId. */
export class RendezvousPinError extends Error {
  override name = "RendezvousPinError";
}

/**
 * Picks the rendezvous address: the flag, else TINCAN_RENDEZVOUS, else the profile's saved one,
 * else the local default.
 */
export function chooseRendezvous(
  flag: string | undefined,
  env: string | undefined,
  saved: string | undefined,
): string {
  return flag || env || saved || DEFAULT_RENDEZVOUS;
}

/** The rendezvous address saved in the profile, if any. */
export function savedRendezvous(db: DatabaseSync): string | undefined {
  return getSetting(db, SAVED);
}

/** The PeerId pinned for the rendezvous at `address` (without /p2p/), if one was. */
export function pinnedRendezvous(db: DatabaseSync, address: string): string | undefined {
  return getSetting(db, PIN_PREFIX + parseMultiaddr(address).toString());
}

/**
 * Saves `address` as the profile's rendezvous (the default of later runs): call it once a login
 * there succeeded, so a failed try elsewhere never becomes the default.
 */
export function saveRendezvous(db: DatabaseSync, address: string): void {
  setSetting(db, SAVED, address);
}

/**
 * Connects to the rendezvous at `address` and returns its PeerId, checking the pin when the
 * address has no /p2p/ part. It does not save the address (saveRendezvous, after the login).
 * @throws RendezvousPinError when the PeerId differs from the one pinned for this address.
 */
export async function connectRendezvous(
  node: TincanNode,
  address: string,
  db: DatabaseSync,
): Promise<{ peerId: PeerId; address: Multiaddr }> {
  const target = parseMultiaddr(address);
  const connection = await node.dial(target, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
  const peerId = connection.remotePeer;
  const hasPeerId = peerIdOf(target) !== undefined;
  if (!hasPeerId) {
    const pinName = PIN_PREFIX + target.toString();
    const pinned = getSetting(db, pinName);
    if (pinned !== undefined && pinned !== peerId.toString()) {
      await connection.close().catch(() => {});
      throw new RendezvousPinError(
        `The rendezvous at ${target} is now ${peerId}, but this profile pinned ${pinned}. ` +
          `Refusing to continue: someone may be impersonating it. If its operator really changed ` +
          `its key, pass the full address ${target}/p2p/${peerId} after checking it with them.`,
      );
    }
    if (pinned === undefined) setSetting(db, pinName, peerId.toString());
  }
  return { peerId, address: hasPeerId ? target : target.encapsulate(`/p2p/${peerId}`) };
}
