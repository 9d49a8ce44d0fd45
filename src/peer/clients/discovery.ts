/**
 * The client side of /rendezvous/1.0.0: REGISTER, UNREGISTER and DISCOVER over one stream.
 * Requests on one client are sent one at a time.
 */
import type { Stream } from "@libp2p/interface";
import { FramedStream } from "../../net/framed.ts";
import type { TincanNode } from "../../net/node.ts";
import { Message } from "../../proto/rendezvous.ts";
import { FRAMES, MAX_DISCOVER_RESULTS } from "../../protocol/limits.ts";
import { PROTOCOL } from "../../protocol/ids.ts";
import { openStream, type Target } from "../../net/dial.ts";
import { expectAnswer, expectOk } from "./expect_ok.ts";

/** One registration returned by DISCOVER. */
export interface Discovered {
  readonly ns: string;
  readonly signedPeerRecord: Uint8Array;
  readonly ttlSeconds: number;
}

/** A rendezvous-protocol session with one rendezvous point. */
export class DiscoveryClient {
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly framed: FramedStream<Message, Message>) {}

  /** Opens the protocol stream to `rendezvous`. */
  static async open(node: TincanNode, rendezvous: Target): Promise<DiscoveryClient> {
    const stream: Stream = await openStream(node, rendezvous, PROTOCOL.rendezvous);
    return new DiscoveryClient(
      new FramedStream(stream, Message, Message, FRAMES.rendezvousResponse, {
        limits: { discoverResponse: { registrations: MAX_DISCOVER_RESULTS } },
      }),
    );
  }

  /**
   * Registers this peer in `ns` with its signed peer record; `ttlSeconds` 0 asks for the default.
   * Returns the TTL granted.
   * @throws RemoteError with the spec's status (E_INVALID_TTL, E_NOT_AUTHORIZED, …).
   */
  register(ns: string, signedPeerRecord: Uint8Array, ttlSeconds = 0): Promise<number> {
    return this.#serial(async () => {
      await this.framed.write({
        type: Message.MessageType.REGISTER,
        register: { ns, signedPeerRecord, ttl: BigInt(ttlSeconds) },
      });
      const action = `register in "${ns}"`;
      const response = expectAnswer((await this.framed.read()).registerResponse, action);
      return Number(expectOk(response, action).ttl);
    });
  }

  /** Removes this peer's registration in `ns` (no response, per the spec). */
  unregister(ns: string): Promise<void> {
    return this.#serial(() =>
      this.framed.write({ type: Message.MessageType.UNREGISTER, unregister: { ns } })
    );
  }

  /**
   * Lists registrations in `ns` ("" for all) newer than `cookie`; returns them and the next cookie.
   * @throws RemoteError with the spec's status (E_INVALID_COOKIE, …).
   */
  discover(
    ns: string,
    limit = 0,
    cookie: Uint8Array = new Uint8Array(0),
  ): Promise<{ registrations: Discovered[]; cookie: Uint8Array }> {
    return this.#serial(async () => {
      await this.framed.write({
        type: Message.MessageType.DISCOVER,
        discover: { ns, limit: BigInt(limit), cookie },
      });
      const action = `discover "${ns}"`;
      const response = expectOk(
        expectAnswer((await this.framed.read()).discoverResponse, action),
        action,
      );
      return {
        cookie: response.cookie,
        registrations: response.registrations.map((r) => ({
          ns: r.ns,
          signedPeerRecord: r.signedPeerRecord,
          ttlSeconds: Number(r.ttl),
        })),
      };
    });
  }

  /** Closes the stream. */
  async close(): Promise<void> {
    await this.#queue.catch(() => {});
    await this.framed.close();
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }
}
