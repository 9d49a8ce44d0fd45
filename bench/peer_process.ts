/**
 * A full tincan peer (createPeer, a fresh profile in a temporary directory) in a process of its
 * own, the far end of the message benchmarks: it answers every message whose text starts with
 * ECHO_PREFIX at once with a message of the same text (REPLY_PREFIX in place of ECHO_PREFIX) and
 * only stores (and acknowledges) the others. It speaks the stdio protocol of child_loop.ts,
 * printing its listen address first. With --trace it can stamp its messaging steps
 * (messages_trace.ts): "trace" starts, and "stamps" stops and is answered with "stamps <JSON>".
 *
 * Usage: peer_process.ts --rendezvous ADDR --username NAME [--trace]
 */
import { parseArgs } from "node:util";
import { configureLogging } from "../src/log.ts";
import { createPeer } from "../src/peer/peer.ts";
import { openProfile } from "../src/peer/profile.ts";
import { serveStdio } from "./child_loop.ts";
import { CHEAP_STRETCHING } from "./clients.ts";
import { installMessageTrace, stamp, startTrace, takeStamps } from "./messages_trace.ts";

/** A message starting with this is answered at once. */
export const ECHO_PREFIX = "ping ";
/** What the answer starts with instead of ECHO_PREFIX. */
export const REPLY_PREFIX = "pong ";

async function main(): Promise<never> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rendezvous: { type: "string" },
      username: { type: "string" },
      trace: { type: "boolean", default: false },
    },
  });
  if (values.rendezvous === undefined || values.username === undefined) {
    throw new TypeError("peer_process.ts needs --rendezvous ADDR and --username NAME");
  }
  const username = values.username;
  configureLogging("warn");
  if (values.trace) installMessageTrace();
  const dir = await Deno.makeTempDir({ prefix: `tincan-bench-${values.username}-` });
  const profile = await openProfile(dir);
  const peer = createPeer({
    profile,
    username: values.username,
    password: `bench-password-${values.username}`,
    rendezvous: values.rendezvous,
    register: true,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    ...CHEAP_STRETCHING,
  });
  await peer.start();
  peer.on((event) => {
    if (event.type === "message" && event.text.startsWith(ECHO_PREFIX)) {
      stamp("message event (sends the reply)");
      void peer.send(event.from, REPLY_PREFIX + event.text.slice(ECHO_PREFIX.length));
    }
  });
  return await serveStdio(peer.node.getMultiaddrs().map(String), async () => {
    await peer.stop();
    profile.close();
    await Deno.remove(dir, { recursive: true });
  }, (line) => {
    if (line === "stamps") return `stamps ${JSON.stringify(takeStamps())}`;
    if (line !== "trace" || !values.trace) return undefined;
    startTrace(username);
    return "tracing";
  });
}

if (import.meta.main) await main();
