/**
 * /tincan/presence/1.0.0 — pushes online/offline events to logged-in peers: a status event, one
 * event per user online now, then every change until either side closes. A subscriber that falls
 * MAX_PRESENCE_BACKLOG events behind is reset; one that logs out is closed.
 */
import type { Connection, Stream } from "@libp2p/interface";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { PresenceEvent, PresenceRequest, Status } from "../proto/services.ts";
import { FRAMES } from "../protocol/limits.ts";
import { MAX_PRESENCE_BACKLOG } from "./constants.ts";
import type { PresenceChange, Sessions } from "./sessions.ts";
import type { Metrics } from "./metrics.ts";

/** What the presence protocol works with. */
export interface PresenceDeps {
  readonly sessions: Sessions;
  readonly log: Logger;
  /** Frame limits of the subscription request; FRAMES.presence unless given. */
  readonly frames?: FrameLimits;
  /** Operator hook: counts the open subscriptions. */
  readonly metrics: Metrics;
}

function event(change: PresenceChange): PresenceEvent {
  return {
    status: Status.OK,
    statusText: "",
    username: change.username,
    peerId: change.peerId,
    online: change.online,
    at: BigInt(change.at),
  };
}

const NO_EVENT = { username: "", peerId: "", online: false, at: 0n };

/** Creates the handler of /tincan/presence/1.0.0. */
export function presenceProtocol(deps: PresenceDeps) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const framed = new FramedStream<PresenceRequest, PresenceEvent>(
      stream,
      PresenceRequest,
      PresenceEvent,
      deps.frames ?? FRAMES.presence,
    );
    await framed.read();
    const peerId = connection.remotePeer.toString();
    if (deps.sessions.usernameOf(peerId) === undefined) {
      await framed.write({
        ...NO_EVENT,
        status: Status.E_NOT_AUTHORIZED,
        statusText: "log in first",
      });
      return await framed.close();
    }
    const backlog: PresenceEvent[] = [{ ...NO_EVENT, status: Status.OK, statusText: "" }];
    let wake: (() => void) | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      wake?.();
    };
    const unsubscribe = deps.sessions.subscribe((change) => {
      if (!change.online && change.peerId === peerId) return end();
      backlog.push(event(change));
      if (backlog.length > MAX_PRESENCE_BACKLOG) {
        deps.log.warn(`presence subscriber ${peerId} fell behind; resetting its stream`);
        stream.abort(new Error("presence backlog overflow"));
        return end();
      }
      wake?.();
    });
    stream.addEventListener("close", end);
    for (const session of deps.sessions.online()) {
      backlog.push(event({ ...session, online: true, at: session.since }));
    }
    deps.metrics.presenceSubscribers(1);
    try {
      while (!ended) {
        const next = backlog.shift();
        if (next === undefined) {
          await new Promise<void>((resolve) => wake = resolve);
          wake = undefined;
          continue;
        }
        await framed.write(next);
      }
    } finally {
      deps.metrics.presenceSubscribers(-1);
      unsubscribe();
      stream.removeEventListener("close", end);
    }
    if (stream.status === "open") await framed.close();
  };
}
