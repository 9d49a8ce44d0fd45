/**
 * Helpers of the federation tests: rendezvous nodes that list each other (their keys made before
 * they start, so each knows the other's PeerId), and raw directory and mailbox requests with the
 * federation fields a peer client does not send yet.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey, Stream } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { join } from "node:path";
import { FramedStream, type MessageCodec } from "../../src/net/framed.ts";
import { loadOrCreateNodeKey } from "../../src/net/node_key.ts";
import { createNode, type TincanNode } from "../../src/net/node.ts";
import { FederationRequest, FederationResponse } from "../../src/proto/federation.ts";
import { MailboxRequest, MailboxResponse } from "../../src/proto/mailbox.ts";
import { DirectoryRequest, DirectoryResponse } from "../../src/proto/services.ts";
import { PROTOCOL } from "../../src/protocol/ids.ts";
import { FRAMES } from "../../src/protocol/limits.ts";
import {
  type FederatedNode,
  parseFederatedNode,
} from "../../src/rendezvous/federation/federated_node.ts";
import type { Rendezvous, RendezvousOptions } from "../../src/rendezvous/server.ts";
import { CLIENT_FRAMES } from "../rendezvous/protocol_harness.ts";
import { freePort } from "./rendezvous_process.ts";
import { withRendezvous } from "./harness.ts";

/** A rendezvous-to-be: its data directory (with its node key already made), port and address. */
export interface NodePlan {
  readonly name: string;
  readonly dataDir: string;
  readonly port: number;
  readonly key: PrivateKey;
  /** /ip4/127.0.0.1/tcp/<port>/p2p/<PeerId>. */
  readonly address: Multiaddr;
  /** How other nodes list it. */
  readonly entry: string;
  readonly listed: FederatedNode;
}

/** Plans a node named `name`: a fresh data directory holding its node key, and a free port. */
export async function planNode(name: string): Promise<NodePlan> {
  const dataDir = await Deno.makeTempDir({ prefix: `tincan-fed-${name}-` });
  const key = await loadOrCreateNodeKey(join(dataDir, "node.key"));
  const port = freePort();
  const address = multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(key)}`);
  const entry = `${name}=${address}`;
  return { name, dataDir, port, key, address, entry, listed: parseFederatedNode(entry) };
}

/** withRendezvous options that run `plan` federating with `others`. */
export function federatedOptions(
  plan: NodePlan,
  others: readonly NodePlan[],
  extra: Partial<RendezvousOptions> = {},
): Partial<RendezvousOptions> {
  return {
    dataDir: plan.dataDir,
    name: plan.name,
    listen: [`/ip4/127.0.0.1/tcp/${plan.port}`],
    federate: others.map((o) => o.listed),
    linkTiming: { checkMs: 60_000, retryMinMs: 100, retryMaxMs: 500 },
    ...extra,
    federationLimits: { retryMinMs: 100, retryMaxMs: 500, ...extra.federationLimits },
  };
}

const NO_DIRECTORY_FIELDS: DirectoryRequest = {
  type: DirectoryRequest.Type.LOOKUP,
  username: "",
  oneTimePrekeys: [],
  withoutOneTimePrekey: false,
};

/** One raw directory request to `rendezvous`, answered with any status. */
export async function askDirectory(
  node: TincanNode,
  rendezvous: Multiaddr,
  request: Partial<DirectoryRequest>,
): Promise<DirectoryResponse> {
  return await exchange(node, rendezvous, PROTOCOL.directory, DirectoryResponse, DirectoryRequest, {
    ...NO_DIRECTORY_FIELDS,
    ...request,
  });
}

/** Opens a `protocol` stream to `to`, writes `message`, and returns the one answer. */
async function exchange<In, Out>(
  node: TincanNode,
  to: Multiaddr,
  protocol: string,
  incoming: MessageCodec<In>,
  outgoing: MessageCodec<Out>,
  message: Out,
): Promise<In> {
  const stream = await node.dialProtocol(to, protocol);
  const framed = new FramedStream(stream, incoming, outgoing, CLIENT_FRAMES);
  await framed.write(message);
  const response = await framed.read();
  await framed.close();
  return response;
}

const NO_MAILBOX_FIELDS: MailboxRequest = {
  type: MailboxRequest.Type.DEPOSIT,
  recipient: "",
  envelope: new Uint8Array(0),
  limit: 0,
  ids: [],
};

/** One raw mailbox request to `rendezvous`, answered with any status. */
export async function askMailbox(
  node: TincanNode,
  rendezvous: Multiaddr,
  request: Partial<MailboxRequest>,
): Promise<MailboxResponse> {
  const stream = await node.dialProtocol(rendezvous, PROTOCOL.mailbox);
  const framed = new FramedStream(stream, MailboxResponse, MailboxRequest, FRAMES.mailboxResponse);
  await framed.write({ ...NO_MAILBOX_FIELDS, ...request });
  const response = await framed.read();
  await framed.close();
  return response;
}

/** `who` looks up `username` at `server` through its home at `home`. */
export async function lookupAt(
  who: TincanNode,
  home: Multiaddr,
  username: string,
  server: string,
): Promise<DirectoryResponse> {
  return await askDirectory(who, home, { type: DirectoryRequest.Type.LOOKUP, username, server });
}

/** `who` deposits `envelope` for `recipient` at `server` through its home at `home`. */
export async function depositAt(
  who: TincanNode,
  home: Multiaddr,
  recipient: string,
  server: string,
  envelope: Uint8Array,
): Promise<MailboxResponse> {
  return await askMailbox(who, home, {
    type: MailboxRequest.Type.DEPOSIT,
    recipient,
    server,
    envelope,
  });
}

/** `home` and `work`, started in this process and listing each other. */
export async function twoNodes(): Promise<
  { home: NodePlan; work: NodePlan; homeNode: Rendezvous; workNode: Rendezvous }
> {
  const home = await planNode("home");
  const work = await planNode("work");
  const homeNode = (await withRendezvous(federatedOptions(home, [work]))).rendezvous;
  const workNode = (await withRendezvous(federatedOptions(work, [home]))).rendezvous;
  return { home, work, homeNode, workNode };
}

/** Sends one raw federation request to the rendezvous at `to` from `node`, as a node calling itself `from`. */
export async function federationRequest(
  node: TincanNode,
  to: Multiaddr,
  request: Partial<FederationRequest>,
): Promise<FederationResponse> {
  return await exchange(node, to, PROTOCOL.federation, FederationResponse, FederationRequest, {
    ...FederationRequest.decode(new Uint8Array(0)),
    ...request,
  });
}

/**
 * `home` running in this process, listing as `work` a node the test runs itself (standInNode),
 * with the key and port it is listed with; nothing listens there until the test starts it.
 */
export async function homeListingStandIn(): Promise<
  { home: NodePlan; homeNode: Rendezvous; workKey: PrivateKey; port: number }
> {
  const home = await planNode("home");
  const workKey = await generateKeyPair("Ed25519");
  const port = freePort();
  const workEntry = `work=/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(workKey)}`;
  const homeNode = (await withRendezvous({
    ...federatedOptions(home, []),
    federate: [parseFederatedNode(workEntry)],
  })).rendezvous;
  return { home, homeNode, workKey, port };
}

/** A bare libp2p node with `key` on `port`, serving /tincan/federation/1.0.0 with `serve`. */
export async function standInNode(
  key: PrivateKey,
  port: number,
  agent: string,
  serve: (stream: Stream) => void | Promise<void>,
): Promise<TincanNode> {
  const node = await createNode({
    privateKey: key,
    listen: [`/ip4/127.0.0.1/tcp/${port}`],
    agent,
  });
  await node.handle(PROTOCOL.federation, serve);
  return node;
}

/** A federation stream handler reading one request and writing what `answer` makes of it. */
export function federationAnswers(
  answer: (request: FederationRequest) => Promise<FederationResponse>,
): (stream: Stream) => Promise<void> {
  return async (stream) => {
    const framed = new FramedStream(
      stream,
      FederationRequest,
      FederationResponse,
      FRAMES.federation,
    );
    await framed.write(await answer(await framed.read()));
    await framed.close();
  };
}
