/**
 * The home side of remote lookups: a local peer asks its home about `bob@work`; the home asks
 * `work` (one hop), checks the answer (remote_bundle.ts, verifyKeyLog) and gives its peer the
 * answer with its vouch for `work`'s key. What `work` answered wrongly is E_REMOTE_INVALID,
 * logged and counted — so is a one-time prekey `work` already handed this home (a replay);
 * `work` unreachable or refusing this node is E_REMOTE_UNAVAILABLE.
 */
import { PrekeyKind } from "../../crypto/prekeys.ts";
import { StatementError, verifyKeyLog } from "../../crypto/statements.ts";
import type { Logger } from "../../log.ts";
import {
  FederationRequest,
  type FederationResponse,
  FederationStatus,
} from "../../proto/federation.ts";
import { type DirectoryResponse, Status } from "../../proto/services.ts";
import { MAX_ONLINE_PAGE } from "../../protocol/limits.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import type { Metrics } from "../metrics.ts";
import type { PrekeyMemory, RemotePrekeysStore, SeenPrekey } from "../store/remote_prekeys.ts";
import { directoryResponse } from "../user_directory.ts";
import type { FederatedNode } from "./federated_node.ts";
import { type FederationLinks, LinkError } from "./links.ts";
import { checkRemoteBundle } from "./remote_bundle.ts";
import type { Vouches } from "./vouches.ts";

/** Asks federated nodes about their users, for local peers. */
export class RemoteDirectory {
  constructor(
    private readonly links: FederationLinks,
    private readonly vouches: Vouches,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly now: () => number,
    private readonly seen: RemotePrekeysStore,
    private readonly memory: PrekeyMemory,
  ) {}

  /** `username`'s bundle at `node` (one one-time prekey consumed there unless told not to). */
  async lookup(
    node: FederatedNode,
    name: string,
    withoutOneTimePrekey: boolean,
  ): Promise<DirectoryResponse> {
    return await this.#ask(node, name, FederationRequest.Type.LOOKUP, async (username, answer) => {
      const bundle = await checkRemoteBundle(
        answer.bundle,
        node.name,
        this.#key(node),
        username,
        this.now(),
      );
      const oneTime: SeenPrekey[] = [];
      if (bundle.oneTimePrekey) {
        oneTime.push({ kind: PrekeyKind.OneTime, publicKey: bundle.oneTimePrekey.publicKey });
      }
      if (bundle.kemOneTimePrekey) {
        oneTime.push({ kind: PrekeyKind.KemOneTime, publicKey: bundle.kemOneTimePrekey.publicKey });
      }
      const replayed = this.seen.claim(node.name, username, oneTime, this.now(), this.memory);
      if (replayed !== undefined) {
        throw new StatementError(
          `${node.name} replayed a ${PrekeyKind[replayed.kind]} prekey of ${username} ` +
            "it already handed out",
        );
      }
      return { ...bundle, vouch: await this.vouches.for(node) };
    }, { withoutOneTimePrekey });
  }

  /** `username`'s key log at `node`, checked against `node`'s key. */
  async keyLog(node: FederatedNode, name: string): Promise<DirectoryResponse> {
    return await this.#ask(node, name, FederationRequest.Type.KEY_LOG, async (username, answer) => {
      await verifyKeyLog(answer.keyLog, username, this.#key(node));
      return directoryResponse(Status.OK, "", {
        keyLog: answer.keyLog,
        vouch: await this.vouches.for(node),
      });
    });
  }

  /** One page of the users online at `node` that it shows. */
  async listOnline(node: FederatedNode, cursor: string, limit: number): Promise<DirectoryResponse> {
    const asked = Math.min(Math.max(limit, 1), MAX_ONLINE_PAGE);
    let answer: FederationResponse;
    try {
      answer = await this.links.request(node.name, {
        type: FederationRequest.Type.LIST_ONLINE,
        cursor,
        limit: asked,
      });
    } catch (err: unknown) {
      return unreachable(err);
    }
    if (answer.status !== FederationStatus.OK) return this.#refused(node, answer);
    try {
      for (const user of answer.online) normalizeUsername(user.username);
      if (answer.online.length > asked) throw new RangeError(`more than ${asked} users`);
    } catch (err: unknown) {
      return this.#invalid(node, `a bad online list: ${(err as Error).message}`);
    }
    return directoryResponse(Status.OK, "", {
      online: answer.online,
      nextCursor: answer.nextCursor,
    });
  }

  async #ask(
    node: FederatedNode,
    name: string,
    type: FederationRequest.Type,
    check: (username: string, answer: FederationResponse) => Promise<DirectoryResponse>,
    extra: Partial<FederationRequest> = {},
  ): Promise<DirectoryResponse> {
    let username: string;
    try {
      username = normalizeUsername(name);
    } catch (err: unknown) {
      return directoryResponse(Status.E_INVALID_USERNAME, (err as RangeError).message);
    }
    let answer: FederationResponse;
    try {
      answer = await this.links.request(node.name, { type, username, ...extra });
    } catch (err: unknown) {
      return unreachable(err);
    }
    if (answer.status !== FederationStatus.OK) return this.#refused(node, answer, username);
    try {
      return await check(username, answer);
    } catch (err: unknown) {
      if (!(err instanceof StatementError)) throw err;
      return this.#invalid(node, err.message);
    }
  }

  #key(node: FederatedNode) {
    const key = node.peerId.publicKey;
    if (key === undefined) throw new TypeError(`${node.name}'s PeerId carries no public key`);
    return key;
  }

  #refused(node: FederatedNode, answer: FederationResponse, username?: string): DirectoryResponse {
    switch (answer.status) {
      case FederationStatus.E_NOT_FOUND:
        return directoryResponse(Status.E_NOT_FOUND, `no user ${username} at ${node.name}`);
      case FederationStatus.E_INVALID_USERNAME:
        return directoryResponse(Status.E_INVALID_USERNAME, answer.statusText);
      case FederationStatus.E_NOT_AUTHORIZED:
        return directoryResponse(
          Status.E_REMOTE_UNAVAILABLE,
          `${node.name} refuses this node (it must list it too): ${answer.statusText}`,
        );
      default:
        return directoryResponse(
          Status.E_REMOTE_UNAVAILABLE,
          `${node.name} answered ${answer.status}: ${answer.statusText}`,
        );
    }
  }

  #invalid(node: FederatedNode, why: string): DirectoryResponse {
    this.log.warn(`federated node ${node.name} answered what does not verify: ${why}`);
    this.metrics.count("federation_invalid");
    this.links.refused(node.name);
    return directoryResponse(
      Status.E_REMOTE_INVALID,
      `${node.name} answered what does not verify: ${why}`,
    );
  }
}

function unreachable(err: unknown): DirectoryResponse {
  if (!(err instanceof LinkError)) throw err;
  return directoryResponse(Status.E_REMOTE_UNAVAILABLE, `${err.message}; try again later`);
}
