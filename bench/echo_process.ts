/**
 * A plain libp2p node (createNode, no tincan protocols) serving the echo protocols of echo.ts in
 * a process of its own, the raw baseline's server. It speaks the stdio protocol of child_loop.ts.
 * Usage: echo_process.ts [--server]; with --server its node is built as the rendezvous's is
 * (createNode's `server`: no identify of its clients, yamux's smallest stream window).
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { parseArgs } from "node:util";
import { configureLogging } from "../src/log.ts";
import { createNode } from "../src/net/node.ts";
import { serveStdio } from "./child_loop.ts";
import { serveEcho } from "./echo.ts";
import { BENCH_NODE_LIMITS } from "./limits.ts";

async function main(): Promise<never> {
  const { values } = parseArgs({ args: Deno.args, options: { server: { type: "boolean" } } });
  configureLogging("warn");
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    agent: "tincan-bench echo",
    limits: BENCH_NODE_LIMITS,
    server: values.server === true,
  });
  await serveEcho(node);
  return await serveStdio(node.getMultiaddrs().map(String), async () => await node.stop());
}

if (import.meta.main) await main();
