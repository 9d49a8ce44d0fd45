// deno-lint-ignore-file no-console
/**
 * The processes of the relay bench (bench/relay.ts), each run inside a lab namespace:
 *   rendezvous DIR ADDRESS  a rendezvous relaying for logged-in peers, announcing ADDRESS
 *   echo RENDEZVOUS         a logged-in peer with a relay slot, echoing /bench/echo/1 and counting
 *                           /bench/sink/1; prints its direct and relayed addresses as JSON
 *   client ADDRESS RENDEZVOUS NAME  measures ADDRESS's echo from logged-in nodes (the relay
 *                           serves logged-in users only): a first message (fresh nodes), round
 *                           trips, throughput; prints JSON
 * DCUtR is left out so the relayed figures stay relayed.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createNode, type TincanNode } from "../src/net/node.ts";
import { login, registerAccount } from "../src/peer/clients/account.ts";
import { startRendezvous } from "../src/rendezvous/server.ts";

const ECHO = "/bench/echo/1";
const SINK = "/bench/sink/1";
/** The first-message and round-trip payload: a short chat line. */
const MESSAGE_BYTES = 100;
const FIRST_MESSAGES = 5;
const ROUND_TRIPS = 200;
const THROUGHPUT_BYTES = 16 * 1024 * 1024;
const CHUNK = 64 * 1024;
const FAST = {
  keyStretching: { "argon2id-custom": { iterations: 1, memory: 256, parallelism: 1 } },
};

const peerNode = (listen: string[]) =>
  generateKeyPair("Ed25519").then((privateKey) =>
    createNode({ privateKey, listen, agent: "tincan-bench", relayClient: true, withoutDcutr: true })
  );

/** Reads from `stream` until `bytes` arrived. */
async function readBytes(stream: Stream, bytes: number): Promise<void> {
  let got = 0;
  for await (const chunk of stream) {
    got += chunk.byteLength;
    if (got >= bytes) return;
  }
  throw new Error(`the stream ended after ${got} of ${bytes} bytes`);
}

async function roundTrip(stream: Stream): Promise<number> {
  const t0 = performance.now();
  stream.send(new Uint8Array(MESSAGE_BYTES));
  await readBytes(stream, MESSAGE_BYTES);
  return performance.now() - t0;
}

const open = (node: TincanNode, address: string, protocol: string) =>
  node.dialProtocol(multiaddr(address), protocol, { runOnLimitedConnection: true });

/** A fresh node logged in at `rendezvous` as the new user `name`. */
async function loggedIn(rendezvous: string, name: string): Promise<TincanNode> {
  const node = await peerNode([]);
  await registerAccount(node, multiaddr(rendezvous), name, "bench password", FAST);
  await login(node, multiaddr(rendezvous), name, "bench password", FAST);
  return node;
}

const [role, ...args] = Deno.args;
if (role === "rendezvous") {
  const rendezvous = await startRendezvous({
    dataDir: args[0]!,
    listen: ["/ip6/::/tcp/4001"],
    announce: [args[1]!],
    name: "bench",
    relay: { connectionDataBytes: 1 << 30 },
  });
  console.log(rendezvous.multiaddrs()[0]);
  await new Promise(() => {});
} else if (role === "echo") {
  const node = await peerNode(["/ip6/::/tcp/5000"]);
  const rendezvous = multiaddr(args[0]!);
  await registerAccount(node, rendezvous, "echo", "bench password", FAST);
  await login(node, rendezvous, "echo", "bench password", FAST);
  await node.handle(ECHO, async (stream) => {
    for await (const chunk of stream) stream.send(chunk);
  }, { runOnLimitedConnection: true });
  await node.handle(SINK, async (stream) => {
    let got = 0;
    for await (const chunk of stream) got += chunk.byteLength;
    stream.send(new TextEncoder().encode(String(got)));
    await stream.close();
  }, { runOnLimitedConnection: true });
  await node.services.controls.listen([rendezvous.encapsulate("/p2p-circuit")]);
  const own = `/p2p/${node.peerId}`;
  const relayed = node.getMultiaddrs().map(String).find((a) => a.includes("/p2p-circuit"));
  console.log(JSON.stringify({ direct: `/ip6/${args[1]}/tcp/5000${own}`, relayed }));
  await new Promise(() => {});
} else if (role === "client") {
  const [address, rendezvous, name] = args as [string, string, string];
  const firstMs: number[] = [];
  for (let i = 0; i < FIRST_MESSAGES; i++) {
    const node = await loggedIn(rendezvous, `${name}-${i}`);
    const t0 = performance.now();
    const stream = await open(node, address, ECHO);
    stream.send(new Uint8Array(MESSAGE_BYTES));
    await readBytes(stream, MESSAGE_BYTES);
    firstMs.push(performance.now() - t0);
    await node.stop();
  }
  const node = await loggedIn(rendezvous, name);
  const echo = await open(node, address, ECHO);
  for (let i = 0; i < 20; i++) await roundTrip(echo); // warm-up
  const rtts: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) rtts.push(await roundTrip(echo));
  const sink = await open(node, address, SINK);
  const t0 = performance.now();
  for (let sent = 0; sent < THROUGHPUT_BYTES; sent += CHUNK) {
    if (!sink.send(new Uint8Array(CHUNK))) {
      await new Promise((r) => sink.addEventListener("drain", r, { once: true }));
    }
  }
  await sink.close();
  for await (const _ of sink) break;
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ firstMs, rtts, bytesPerSecond: THROUGHPUT_BYTES / seconds }));
  await node.stop();
  Deno.exit(0);
}
