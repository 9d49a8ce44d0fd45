/**
 * A rendezvous in a process of its own, so the bench can read its RSS and CPU time from /proc.
 * Usage: rendezvous_process.ts [--data-dir DIR]; without a data directory
 * it uses a temporary one and removes it on exit. It speaks the stdio protocol of child_loop.ts.
 * It logs warnings and errors, and `info` too when SCALE_TRACE_ENV is set.
 */
import { parseArgs } from "node:util";
import { configureLogging } from "../src/log.ts";
import { startRendezvous } from "../src/rendezvous/server.ts";
import { serveStdio } from "./child_loop.ts";
import { BENCH_NODE_LIMITS } from "./limits.ts";
import { SCALE_TRACE_ENV } from "./scale_protocol.ts";

async function main(): Promise<never> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { "data-dir": { type: "string" } },
  });
  configureLogging(Deno.env.get(SCALE_TRACE_ENV) !== undefined ? "info" : "warn");
  const ownDir = values["data-dir"] === undefined;
  const dataDir = values["data-dir"] ?? await Deno.makeTempDir({ prefix: "tincan-bench-" });
  const rendezvous = await startRendezvous({
    dataDir,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    name: "bench",
    nodeLimits: BENCH_NODE_LIMITS,
  });
  return await serveStdio(rendezvous.multiaddrs(), async () => {
    await rendezvous.stop();
    if (ownDir) await Deno.remove(dataDir, { recursive: true });
  });
}

if (import.meta.main) await main();
