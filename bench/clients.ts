/** The bench's client peers: libp2p nodes that register, log in, and join the rendezvous. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { createNode, type NodeLimits, type TincanNode } from "../src/net/node.ts";
import { type AccountOptions, login, registerAccount } from "../src/peer/clients/account.ts";
import type { PeerOptions } from "../src/peer/peer.ts";
import type { Profile } from "../src/peer/profile.ts";
import { FREE_FAILURES } from "../src/rendezvous/throttle.ts";
import { forEachBatched } from "./measure.ts";
import { Semaphore } from "./semaphore.ts";

/**
 * Cheap client key stretching (Argon2id, 1 pass over 256 KiB): the server's work per login does
 * not depend on it, so benchmarks of the server use it to keep the client from being the limit.
 */
export const CHEAP_STRETCHING: AccountOptions = {
  keyStretching: { "argon2id-custom": { iterations: 1, memory: 256, parallelism: 1 } },
};

/**
 * The options of a full bench peer (createPeer): registers on start, listens on loopback, cheap
 * key stretching, the password derived from the name. Add `services` as needed.
 */
export function benchPeerOptions(
  profile: Profile,
  username: string,
  rendezvous: string,
): PeerOptions {
  return {
    profile,
    username,
    password: `bench-password-${username}`,
    rendezvous,
    register: true,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    ...CHEAP_STRETCHING,
  };
}

/** A client node and what it logs in with. */
export interface BenchPeer {
  readonly node: TincanNode;
  readonly key: PrivateKey;
  readonly username: string;
  readonly password: string;
}

/** Starts a client node (not listening) with a fresh Ed25519 identity. */
export async function startClient(
  username: string,
  limits: Partial<NodeLimits> = {},
): Promise<BenchPeer> {
  const key = await generateKeyPair("Ed25519");
  const node = await createNode({ privateKey: key, listen: [], agent: "tincan-bench", limits });
  return { node, key, username, password: `bench-password-${username}` };
}

/**
 * Logins the bench keeps in flight at once. The rendezvous refuses (E_THROTTLED) a login from an
 * address that already has FREE_FAILURES in flight, and every bench client is 127.0.0.1.
 */
export const LOGINS_IN_FLIGHT = FREE_FAILURES;
const loginSlots = new Semaphore(LOGINS_IN_FLIGHT);

/** Logs the peer in, waiting for one of the LOGINS_IN_FLIGHT slots. */
export async function benchLogin(
  peer: BenchPeer,
  rendezvous: Multiaddr,
  options: AccountOptions,
): Promise<void> {
  await loginSlots.with(() => login(peer.node, rendezvous, peer.username, peer.password, options));
}

/** Registers the peer's account at `rendezvous` and logs it in, each in a LOGINS_IN_FLIGHT slot. */
export async function registerAndLogin(
  peer: BenchPeer,
  rendezvous: Multiaddr,
  options: AccountOptions,
): Promise<void> {
  // Registrations in progress count against the address like logins (the rendezvous throttle).
  await loginSlots.with(() =>
    registerAccount(peer.node, rendezvous, peer.username, peer.password, options)
  );
  await benchLogin(peer, rendezvous, options);
}

/** Starts `count` clients named `${prefix}-<i>`, registered and logged in, `batch` at a time. */
export async function loggedInClients(
  rendezvous: Multiaddr,
  prefix: string,
  count: number,
  options: AccountOptions,
  batch = 25,
): Promise<BenchPeer[]> {
  const peers: BenchPeer[] = [];
  try {
    await forEachBatched(Array.from({ length: count }, (_, i) => i), batch, async (i) => {
      const peer = await startClient(`${prefix}-${i}`);
      peers.push(peer);
      await registerAndLogin(peer, rendezvous, options);
    });
  } catch (err: unknown) {
    await stopClients(peers);
    throw err;
  }
  return peers;
}

/** Stops the nodes of `peers`, 100 at a time, ignoring those already stopped. */
export async function stopClients(peers: readonly BenchPeer[]): Promise<void> {
  await forEachBatched(peers, 100, async (peer) => {
    try {
      await peer.node.stop();
    } catch {
      // already stopped
    }
  });
}
