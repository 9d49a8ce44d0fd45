/**
 * The links to the federated nodes an operator listed: one request/response exchange per stream
 * of /tincan/federation/1.0.0, dialled at the listed address (ending in /p2p/<PeerId>, so Noise
 * refuses any other node), and each node's link state (up, down with the last error, or not yet
 * tried). A prober says HELLO to every node at start, then again after a backoff while a link is
 * down and every `checkMs` while it is up. Any authenticated request a listed node makes to us is
 * news that it is up too (`heard`).
 */
import type { Logger } from "../../log.ts";
import { openStream } from "../../net/dial.ts";
import { FramedStream, type FrameLimits } from "../../net/framed.ts";
import type { TincanNode } from "../../net/node.ts";
import { backoffDelay } from "../../net/backoff.ts";
import { FederationRequest, FederationResponse, FederationStatus } from "../../proto/federation.ts";
import { PROTOCOL } from "../../protocol/ids.ts";
import {
  FEDERATION_REQUEST_DEADLINE_MS,
  FRAMES,
  MAX_KEY_LOG_ENTRIES,
  MAX_ONLINE_PAGE,
} from "../../protocol/limits.ts";
import type { FederatedNode } from "./federated_node.ts";

/** A link's state, as /servers shows it. */
export type LinkState = "connecting" | "up" | "down";

/** One link's state and since when. */
export interface LinkStatus {
  readonly node: FederatedNode;
  readonly state: LinkState;
  /** Why it is down ("" when it is not). */
  readonly lastError: string;
  readonly since: number;
  /**
   * What this node refused of that node's: its answers that did not verify, its mail over its
   * rate or quota, requests in its name from another PeerId.
   */
  readonly refused: number;
}

/** A federated node could not be asked: unreachable, timed out, broke the protocol, refused us. */
export class LinkError extends Error {
  override name = "LinkError";
}

/** How often links are checked. */
export interface LinkTiming {
  /** HELLO this often while a link is up. */
  readonly checkMs: number;
  /** The backoff of HELLOs while a link is down. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/** The default link checks: every 30 s while up; 1 s doubling to 30 s while down. */
export const LINK_TIMING: LinkTiming = { checkMs: 30_000, retryMinMs: 1_000, retryMaxMs: 30_000 };

/** A request without its `from`, which the links fill in. */
export type OutgoingRequest = Omit<Partial<FederationRequest>, "from"> & {
  readonly type: FederationRequest.Type;
};

/** A request with every field at its default (what an empty frame decodes to). */
const EMPTY_REQUEST: FederationRequest = FederationRequest.decode(new Uint8Array(0));

interface Link {
  status: LinkStatus;
  failures: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The links of one rendezvous to its federated nodes. */
export class FederationLinks {
  readonly #links = new Map<string, Link>();
  readonly #upListeners = new Set<(name: string) => void>();
  #stopped = false;

  constructor(
    private readonly libp2p: TincanNode,
    /** This node's case-folded name, sent as `from`. */
    readonly self: string,
    nodes: readonly FederatedNode[],
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly timing: LinkTiming = LINK_TIMING,
  ) {
    for (const listed of nodes) {
      this.#links.set(listed.name, {
        status: { node: listed, state: "connecting", lastError: "", since: now(), refused: 0 },
        failures: 0,
        timer: undefined,
      });
    }
  }

  /** The listed node named `name` (case-folded), or undefined. */
  node(name: string): FederatedNode | undefined {
    return this.#links.get(name)?.status.node;
  }

  /** The listed node with PeerId `peerId`, or undefined. */
  nodeByPeerId(peerId: string): FederatedNode | undefined {
    for (const link of this.#links.values()) {
      if (link.status.node.peerId.toString() === peerId) return link.status.node;
    }
    return undefined;
  }

  /** Every link's state, in the order listed. */
  statuses(): LinkStatus[] {
    return [...this.#links.values()].map((link) => link.status);
  }

  /** Whether the link to `name` is down now (a request would most likely fail). */
  isDown(name: string): boolean {
    return this.#links.get(name)?.status.state === "down";
  }

  /** Calls `listener` with a node's name each time its link comes up; returns an unsubscribe. */
  onUp(listener: (name: string) => void): () => void {
    this.#upListeners.add(listener);
    return () => this.#upListeners.delete(listener);
  }

  /** Starts the prober: HELLO to every listed node now, then as LinkTiming says. */
  start(): void {
    for (const name of this.#links.keys()) this.#schedule(name, 0);
  }

  /** Stops the prober. */
  stop(): void {
    this.#stopped = true;
    for (const link of this.#links.values()) clearTimeout(link.timer);
  }

  /** `name` made an authenticated request to us: its link is up. */
  heard(name: string): void {
    this.#mark(name, undefined);
  }

  /** This node refused something of `name`'s (LinkStatus.refused). */
  refused(name: string): void {
    const link = this.#links.get(name);
    if (link !== undefined) link.status = { ...link.status, refused: link.status.refused + 1 };
  }

  /**
   * Sends `request` to the node named `name` and returns its answer (any status). A refusal
   * (E_NOT_AUTHORIZED: it does not list us, or not with our PeerId) marks the link down.
   * @throws LinkError when it is not listed, cannot be reached, does not answer within
   *   FEDERATION_REQUEST_DEADLINE_MS, or breaks the protocol.
   */
  async request(name: string, request: OutgoingRequest): Promise<FederationResponse> {
    const { framed, first } = await this.#start(name, request, FRAMES.federationResponse);
    await framed.close();
    return first;
  }

  /**
   * Opens a long-lived stream to `name` with `request` (SUBSCRIBE) and reads its first answer;
   * the caller reads what follows and closes the stream.
   * @throws LinkError as `request` does, or when the first answer is not OK.
   */
  async open(
    name: string,
    request: OutgoingRequest,
  ): Promise<FramedStream<FederationResponse, FederationRequest>> {
    const { framed, first } = await this.#start(name, request, FRAMES.federationPresence);
    if (first.status !== FederationStatus.OK) {
      await framed.close();
      throw new LinkError(`${name} answered ${first.status}: ${first.statusText}`);
    }
    return framed;
  }

  /** Dials `name`, sends `request`, reads the first answer and records how the link is. */
  async #start(
    name: string,
    request: OutgoingRequest,
    limits: FrameLimits,
  ): Promise<
    { framed: FramedStream<FederationResponse, FederationRequest>; first: FederationResponse }
  > {
    const link = this.#links.get(name);
    if (link === undefined) throw new LinkError(`${name} is not a federated node`);
    let framed: FramedStream<FederationResponse, FederationRequest> | undefined;
    let first: FederationResponse;
    const deadline = AbortSignal.timeout(FEDERATION_REQUEST_DEADLINE_MS);
    try {
      const stream = await openStream(
        this.libp2p,
        link.status.node.address,
        PROTOCOL.federation,
        deadline,
      );
      framed = new FramedStream(stream, FederationResponse, FederationRequest, limits, {
        limits: { online: MAX_ONLINE_PAGE, keyLog: MAX_KEY_LOG_ENTRIES },
      });
      await framed.write({ ...EMPTY_REQUEST, ...request, from: this.self }, deadline);
      first = await framed.read(deadline);
    } catch (err: unknown) {
      const reason = deadline.aborted
        ? `no answer within ${FEDERATION_REQUEST_DEADLINE_MS} ms`
        : err instanceof Error
        ? err.message
        : String(err);
      framed?.abort(err instanceof Error ? err : new Error(reason));
      this.#mark(name, reason);
      throw new LinkError(`cannot reach ${name}: ${reason}`, { cause: err });
    }
    if (first.status === FederationStatus.E_NOT_AUTHORIZED) {
      this.#mark(name, `${name} refuses this node: ${first.statusText}`);
    } else {
      this.#mark(name, undefined);
    }
    return { framed, first };
  }

  /** Records the outcome of an exchange with `name`: up (no error) or down with `error`. */
  #mark(name: string, error: string | undefined): void {
    const link = this.#links.get(name);
    if (link === undefined) return;
    const was = link.status.state;
    const state: LinkState = error === undefined ? "up" : "down";
    if (state !== was || (error ?? "") !== link.status.lastError) {
      link.status = {
        ...link.status,
        state,
        lastError: error ?? "",
        since: state === was ? link.status.since : this.now(),
      };
    }
    if (state === "down") {
      if (was !== "down") this.log.warn(`federation link to ${name} is down: ${error}`);
      link.failures++;
    } else {
      link.failures = 0;
      if (was !== "up") {
        this.log.info(`federation link to ${name} is up`);
        for (const listener of this.#upListeners) listener(name);
      }
    }
    this.#schedule(name, this.#nextCheck(link));
  }

  #nextCheck(link: Link): number {
    if (link.status.state === "up") return this.timing.checkMs;
    return backoffDelay(Math.max(0, link.failures - 1), {
      minMs: this.timing.retryMinMs,
      maxMs: this.timing.retryMaxMs,
    });
  }

  #schedule(name: string, delayMs: number): void {
    const link = this.#links.get(name);
    if (link === undefined || this.#stopped) return;
    clearTimeout(link.timer);
    link.timer = setTimeout(() => {
      link.timer = undefined;
      this.request(name, { type: FederationRequest.Type.HELLO }).catch(() => {
        // #mark recorded it and scheduled the next try
      });
    }, delayMs);
  }
}
