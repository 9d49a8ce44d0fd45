/**
 * A plain libp2p node (createNode, no tincan protocols) serving the bulk sink of bulk.ts in a
 * process of its own: the raw baseline of the file-transfer bench. Stdio: child_loop.ts.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { configureLogging } from "../src/log.ts";
import { createNode } from "../src/net/node.ts";
import { serveBulk } from "./bulk.ts";
import { serveStdio } from "./child_loop.ts";
import { BENCH_NODE_LIMITS } from "./limits.ts";

async function main(): Promise<never> {
  configureLogging("warn");
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    agent: "tincan-bench bulk",
    limits: BENCH_NODE_LIMITS,
  });
  await serveBulk(node);
  return await serveStdio(node.getMultiaddrs().map(String), async () => await node.stop());
}

if (import.meta.main) await main();
