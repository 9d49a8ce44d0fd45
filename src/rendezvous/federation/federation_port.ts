/**
 * What the peer-facing protocols (directory, mailbox) ask of federation: which node a request's
 * `server` names, and the remote lookups, listings and deposits through it. Narrow, so those
 * protocols do not depend on how links, queues or vouches work.
 */
import type { ForwardState } from "../../proto/mailbox.ts";
import type { DirectoryResponse } from "../../proto/services.ts";
import type { FederatedNode } from "./federated_node.ts";
import type { RemoteDeposit, RemoteDepositAnswer } from "./forwarder.ts";

/** A request named a server this node does not federate with. */
export class UnknownServerError extends RangeError {
  override name = "UnknownServerError";
}

/** Federation, as the peer-facing protocols see it. */
export interface FederationPort {
  /**
   * The listed node `server` names; undefined when it is absent or names this node.
   * @throws UnknownServerError for a server not listed (or not a valid name).
   */
  remote(server: string | undefined): FederatedNode | undefined;
  /** `username`'s bundle at `node`; `asker`, the local user asking, is then told of its presence. */
  lookup(
    node: FederatedNode,
    username: string,
    withoutOneTimePrekey: boolean,
    asker: string,
  ): Promise<DirectoryResponse>;
  keyLog(node: FederatedNode, username: string): Promise<DirectoryResponse>;
  listOnline(node: FederatedNode, cursor: string, limit: number): Promise<DirectoryResponse>;
  /** This node's name and its federated nodes with their link state (SERVERS). */
  servers(): Promise<DirectoryResponse>;
  deposit(node: FederatedNode, deposit: RemoteDeposit): Promise<RemoteDepositAnswer>;
  forwardStatus(sender: string, messageIds: readonly Uint8Array[]): ForwardState[];
}

/**
 * The listed node `server` names through `port`, or undefined for this node; with no federation
 * any named server is unknown.
 * @throws UnknownServerError as FederationPort.remote.
 */
export function remoteNode(
  port: FederationPort | undefined,
  server: string | undefined,
): FederatedNode | undefined {
  if (port !== undefined) return port.remote(server);
  if (server === undefined || server === "") return undefined;
  throw new UnknownServerError(`this rendezvous federates with no server (asked for ${server})`);
}
