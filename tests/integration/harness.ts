/** Test harness: a real rendezvous and real libp2p clients on loopback, always stopped. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { configureLogging } from "../../src/log.ts";
import { createNode, type TincanNode } from "../../src/net/node.ts";
import { type AccountOptions, login, registerAccount } from "../../src/peer/account_client.ts";
import {
  type Rendezvous,
  type RendezvousOptions,
  startRendezvous,
} from "../../src/rendezvous/server.ts";

configureLogging(Deno.env.get("TINCAN_TEST_LOG") === "debug" ? "debug" : "error");

/** A cheap key-stretching setting so tests spend their time on the protocol, not on Argon2. */
export const FAST: AccountOptions = {
  keyStretching: { "argon2id-custom": { iterations: 1, memory: 256, parallelism: 1 } },
};

/** A rendezvous in a fresh temporary data directory, with the test's clock. */
export async function withRendezvous(
  options: Partial<RendezvousOptions> = {},
): Promise<{ rendezvous: Rendezvous; address: Multiaddr; dataDir: string }> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "tincan-test-" });
  const rendezvous = await startRendezvous({
    dataDir,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    name: "test",
    nodeLimits: { inboundConnectionsPerSecondPerHost: 10_000 },
    ...options,
  });
  const address = multiaddr(rendezvous.multiaddrs()[0]!);
  return { rendezvous, address, dataDir };
}

/** A client node that does not listen. */
export async function clientNode(privateKey?: PrivateKey): Promise<TincanNode> {
  return await createNode({
    privateKey: privateKey ?? await generateKeyPair("Ed25519"),
    listen: [],
    agent: "tincan-test",
  });
}

/** A client node registered and logged in as `username`. */
export async function loggedInClient(
  address: Multiaddr,
  username: string,
  password = `pw-${username}`,
): Promise<TincanNode> {
  const node = await clientNode();
  await registerAccount(node, address, username, password, FAST);
  await login(node, address, username, password, FAST);
  return node;
}

/** Stops everything given, ignoring what is already stopped. */
export async function stopAll(
  ...things: ({ stop(): void | Promise<void> } | undefined)[]
): Promise<void> {
  await Promise.all(things.map(async (t) => {
    try {
      await t?.stop();
    } catch {
      // already stopped
    }
  }));
}
