/** The client side of /tincan/presence/1.0.0: a live feed of who is online. */
import { FramedStream } from "../../net/framed.ts";
import type { TincanNode } from "../../net/node.ts";
import { PresenceEvent, PresenceRequest } from "../../proto/services.ts";
import { FRAMES } from "../../protocol/limits.ts";
import { PROTOCOL } from "../../protocol/ids.ts";
import { openStream, type Target } from "../../net/dial.ts";
import { expectOk } from "./expect_ok.ts";

/** One online/offline change. */
export interface Presence {
  readonly username: string;
  readonly peerId: string;
  readonly online: boolean;
  readonly at: number;
  /** Not a presence change: mail for us was just deposited (fetch it now). */
  readonly mailWaiting: boolean;
}

/** A subscription: its events, and a way to end it. */
export interface PresenceFeed {
  readonly events: AsyncIterable<Presence>;
  close(): Promise<void>;
}

/**
 * Subscribes to presence: first everyone online now, then each change. Its events end with a
 * RemoteError E_REPLACED when a newer login of this user replaced ours.
 * @throws RemoteError E_NOT_AUTHORIZED when this node is not logged in.
 */
export async function subscribePresence(
  node: TincanNode,
  rendezvous: Target,
): Promise<PresenceFeed> {
  const stream = await openStream(node, rendezvous, PROTOCOL.presence);
  const framed = new FramedStream<PresenceEvent, PresenceRequest>(
    stream,
    PresenceEvent,
    PresenceRequest,
    FRAMES.presenceEvent,
  );
  await framed.write({});
  try {
    expectOk(
      await framed.read(AbortSignal.timeout(FRAMES.presence.readTimeoutMs)),
      "subscribe to presence",
    );
  } catch (err: unknown) {
    await framed.close();
    throw err;
  }
  async function* events(): AsyncGenerator<Presence> {
    while (true) {
      const event = await framed.readOrEnd();
      if (event === undefined) return;
      // A status after the first event ends the feed: E_REPLACED when a newer login took over.
      expectOk(event, "stay logged in");
      yield {
        username: event.username,
        peerId: event.peerId,
        online: event.online,
        at: Number(event.at),
        mailWaiting: event.mailWaiting,
      };
    }
  }
  return { events: events(), close: () => framed.close() };
}
