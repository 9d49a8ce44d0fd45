/**
 * A full tincan peer with file transfers in a process of its own, the recipient of the file
 * bench: it accepts every offered file into a temporary directory (deleted when it stops).
 * Stdio: child_loop.ts, printing its listen address first.
 *
 * Usage: file_peer_process.ts --rendezvous ADDR --username NAME
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { configureLogging } from "../src/log.ts";
import { files } from "../src/peer/files/file_transfers.ts";
import { createPeer } from "../src/peer/peer.ts";
import { openProfile } from "../src/peer/profile.ts";
import { serveStdio } from "./child_loop.ts";
import { CHEAP_STRETCHING } from "./clients.ts";

async function main(): Promise<never> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { rendezvous: { type: "string" }, username: { type: "string" } },
  });
  if (values.rendezvous === undefined || values.username === undefined) {
    throw new TypeError("file_peer_process.ts needs --rendezvous ADDR and --username NAME");
  }
  configureLogging("warn");
  const dir = await Deno.makeTempDir({ prefix: `tincan-bench-${values.username}-` });
  const profile = await openProfile(join(dir, "profile"));
  const peer = createPeer({
    profile,
    username: values.username,
    password: `bench-password-${values.username}`,
    rendezvous: values.rendezvous,
    register: true,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    ...CHEAP_STRETCHING,
    services: { files: files({ downloadDir: join(dir, "inbox"), autoAccept: true }) },
  });
  await peer.start();
  return await serveStdio(peer.node.getMultiaddrs().map(String), async () => {
    await peer.stop();
    profile.close();
    await Deno.remove(dir, { recursive: true });
  });
}

if (import.meta.main) await main();
