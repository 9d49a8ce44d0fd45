/**
 * Federation figures: the first message to a remote contact (`bob@work`: a lookup through the
 * home, the vouch and work's certificate checked, a new session, the direct dial) against the
 * first message to a local one, in the same run; and mail deposited at home for users at work,
 * each forwarded to work's mailbox before its answer, against local deposits at home. Two
 * rendezvous nodes (`home`, `work`) listing each other, in this process on loopback.
 */
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { join } from "node:path";
import { loadOrCreateNodeKey } from "../src/net/node_key.ts";
import { MailboxClient } from "../src/peer/clients/mailbox.ts";
import { createPeer, type Peer } from "../src/peer/peer.ts";
import { openProfile, type Profile } from "../src/peer/profile.ts";
import { parseFederatedNode } from "../src/rendezvous/federation/federated_node.ts";
import { type Rendezvous, startRendezvous } from "../src/rendezvous/server.ts";
import {
  type BenchPeer,
  benchPeerOptions,
  CHEAP_STRETCHING,
  loggedInClients,
  stopClients,
} from "./clients.ts";
import { envelopeFor } from "./mailbox.ts";
import { measureForDuration, type Measurement } from "./measure.ts";
import { type Latency, latency } from "./messages.ts";

/** What the federation bench measured. */
export interface FederationResult {
  /** ms from send to the recipient's acknowledgement, first message to a new contact. */
  readonly firstLocal: Latency;
  readonly firstRemote: Latency;
  /** Deposits/s at home for users at home, and for users at work (forwarded before the answer). */
  readonly localDeposits: Measurement;
  readonly forwardedDeposits: Measurement;
  /** Forwarded deposits the home only queued (work was slow): not counted as forwarded. */
  readonly queuedAtHome: number;
}

/** Quotas high enough that the bench measures throughput, not the limits. */
const OPEN_LIMITS = {
  mailboxLimits: {
    maxMailPerRecipient: 1_000_000,
    maxMailPerSender: 1_000_000,
    maxBytesPerRecipient: 10 * 1024 ** 3,
    maxBytesPerSender: 10 * 1024 ** 3,
  },
  federationLimits: {
    maxMailPerRemote: 1_000_000,
    depositsPerMinute: 10_000_000,
    depositBurst: 1_000_000,
    maxBytesPerRemote: 10 * 1024 ** 3,
  },
};

interface NodePlan {
  readonly name: string;
  readonly dataDir: string;
  readonly port: number;
  readonly entry: string;
}

async function plan(name: string, dir: string): Promise<NodePlan> {
  const dataDir = join(dir, name);
  await Deno.mkdir(dataDir);
  const key = await loadOrCreateNodeKey(join(dataDir, "node.key"));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const entry = `${name}=/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(key)}`;
  return { name, dataDir, port, entry };
}

function start(self: NodePlan, other: NodePlan): Promise<Rendezvous> {
  return startRendezvous({
    dataDir: self.dataDir,
    name: self.name,
    listen: [`/ip4/127.0.0.1/tcp/${self.port}`],
    federate: [parseFederatedNode(other.entry)],
    nodeLimits: { inboundConnectionsPerSecondPerHost: 10_000 },
    mailboxLimits: OPEN_LIMITS.mailboxLimits,
    federationLimits: OPEN_LIMITS.federationLimits,
  });
}

/**
 * Runs `contacts` first messages to local and to remote contacts (alternating), then deposits
 * for `seconds` each way.
 * @throws Error when a node or peer cannot start, or a message is not delivered in time.
 */
export async function benchFederation(options: {
  readonly contacts: number;
  readonly seconds: number;
  readonly recipients: number;
}): Promise<FederationResult> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-bench-fed-" });
  const homePlan = await plan("home", dir);
  const workPlan = await plan("work", dir);
  const home = await start(homePlan, workPlan);
  const work = await start(workPlan, homePlan);
  const homeAddress = home.multiaddrs()[0]!;
  const workAddress = work.multiaddrs()[0]!;
  const peers: { peer: Peer; profile: Profile }[] = [];
  const clients: BenchPeer[] = [];
  const startPeer = async (username: string, address: string) => {
    const profile = await openProfile(join(dir, username));
    const peer = createPeer(benchPeerOptions(profile, username, address));
    await peer.start();
    peers.push({ peer, profile });
    return peer;
  };
  try {
    const alice = await startPeer("alice", homeAddress);
    const local: number[] = [];
    const remote: number[] = [];
    for (let i = 0; i < options.contacts; i++) {
      await startPeer(`carol${i}`, homeAddress);
      await startPeer(`bob${i}`, workAddress);
      local.push(await firstMessage(alice, `carol${i}`));
      remote.push(await firstMessage(alice, `bob${i}@work`));
    }

    const [sender] = await loggedInClients(multiaddr(homeAddress), "fed-s", 1, CHEAP_STRETCHING);
    clients.push(sender!);
    const atHome = await loggedInClients(
      multiaddr(homeAddress),
      "fed-h",
      options.recipients,
      CHEAP_STRETCHING,
    );
    const atWork = await loggedInClients(
      multiaddr(workAddress),
      "fed-w",
      options.recipients,
      CHEAP_STRETCHING,
    );
    clients.push(...atHome, ...atWork);
    const mail = await MailboxClient.open(sender!.node, multiaddr(homeAddress));
    let queuedAtHome = 0;
    try {
      const deposits = (to: readonly BenchPeer[], server: string | undefined) => {
        let next = 0;
        return async () => {
          const recipient = to[next++ % to.length]!;
          const envelope = await envelopeFor(sender!, recipient);
          const { queuedFor } = await mail.depositAt(recipient.username, envelope, server);
          if (queuedFor !== undefined) queuedAtHome++;
        };
      };
      const localDeposits = await measureForDuration({
        workers: 1,
        seconds: options.seconds,
        op: deposits(atHome, undefined),
      });
      const forwardedDeposits = await measureForDuration({
        workers: 1,
        seconds: options.seconds,
        op: deposits(atWork, "work"),
      });
      return {
        firstLocal: latency(local),
        firstRemote: latency(remote),
        localDeposits,
        forwardedDeposits,
        queuedAtHome,
      };
    } finally {
      await mail.close();
    }
  } finally {
    await stopClients(clients);
    for (const { peer, profile } of peers) {
      await peer.stop().catch(() => {});
      profile.close();
    }
    await home.stop();
    await work.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** ms from `alice.send(to)` to its acknowledgement (a first message: lookup, session, dial). */
async function firstMessage(alice: Peer, to: string): Promise<number> {
  const started = performance.now();
  // Outcomes by message id: the acknowledgement may come before `send` returns the id.
  const outcomes = new Map<string, string | undefined>();
  let heard = () => {};
  const stop = alice.on((event) => {
    if (event.type === "delivered") outcomes.set(event.id, undefined);
    if (event.type === "failed") outcomes.set(event.id, event.reason);
    heard();
  });
  try {
    const id = await alice.send(to, "first");
    const deadline = Date.now() + 30_000;
    while (!outcomes.has(id)) {
      if (Date.now() > deadline) throw new Error(`no receipt from ${to} within 30 s`);
      await new Promise<void>((resolve) => {
        heard = resolve;
        setTimeout(resolve, 100);
      });
    }
    const failure = outcomes.get(id);
    if (failure !== undefined) throw new Error(`the first message to ${to} failed: ${failure}`);
    return performance.now() - started;
  } finally {
    stop();
  }
}
