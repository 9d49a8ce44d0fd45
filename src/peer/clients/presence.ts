/**
 * The client side of /tincan/presence/2.0.0: follow users (and only then hear of them), page
 * through everyone online, set an away text, and send heartbeats, on one long-lived stream.
 * Requests are answered in order; the events between the answers are the followed users'
 * changes and "mail waiting".
 */
import { ProtocolError, RemoteError } from "../../errors.ts";
import { FramedStream } from "../../net/framed.ts";
import { lazyWindowUpdates } from "../../net/lazy_window_updates.ts";
import type { TincanNode } from "../../net/node.ts";
import { PresenceEvent, PresenceRequest } from "../../proto/services.ts";
import { FRAMES, MAX_FOLLOW_PER_REQUEST } from "../../protocol/limits.ts";
import { PROTOCOL } from "../../protocol/ids.ts";
import { openStream, type Target } from "../../net/dial.ts";
import { expectOk } from "./expect_ok.ts";

/** One change of a followed user: online, offline, or a new away text. */
export interface Presence {
  readonly username: string;
  readonly peerId: string;
  readonly online: boolean;
  readonly at: number;
  /** The user's away text ("" when not away). */
  readonly away: string;
  /** Not a presence change: mail for us was just deposited (fetch it now). */
  readonly mailWaiting: boolean;
}

/** One page of everyone online at the rendezvous, sorted by username. */
export interface OnlinePage {
  readonly users: readonly { readonly username: string; readonly away: string }[];
  /** Pass it to the next list() call; undefined on the last page. */
  readonly next: string | undefined;
}

/** A subscription: its events, its requests, and a way to end it. */
export interface PresenceFeed {
  /** The followed users' changes; ends with a RemoteError E_REPLACED when a newer login took over. */
  readonly events: AsyncIterable<Presence>;
  /**
   * Follows `names` too; resolves once the rendezvous took them (those online are in `events`
   * before).
   * @throws RemoteError E_BAD_REQUEST when it refuses (over MAX_FOLLOWED …).
   */
  follow(names: readonly string[]): Promise<void>;
  /** Stops following `names`. */
  unfollow(names: readonly string[]): Promise<void>;
  /**
   * One page of up to `limit` users online after `cursor`.
   * @throws RemoteError E_BAD_REQUEST when `limit` is out of range.
   */
  list(cursor: string | undefined, limit: number): Promise<OnlinePage>;
  /**
   * Sets our away text ("" clears it).
   * @throws RemoteError E_BAD_REQUEST when the text breaks the rules (away_text.ts).
   */
  setAway(text: string): Promise<void>;
  /** The username logged in on `peerId`, or undefined when nobody is. */
  who(peerId: string): Promise<string | undefined>;
  /** Says we are alive; resolves when the rendezvous answered. */
  heartbeat(): Promise<void>;
  close(): Promise<void>;
}

type Request = Pick<PresenceRequest, "type"> & Partial<PresenceRequest>;

/** A whole PresenceRequest from the fields `request` gives (the others empty). */
export function presenceRequest(request: Request): PresenceRequest {
  return { usernames: [], cursor: "", limit: 0, away: "", peerId: "", ...request };
}

/** What one request waits for: its reply, or the end of the feed. */
interface Pending {
  resolve(reply: PresenceEvent): void;
  reject(err: unknown): void;
}

/**
 * Subscribes to presence, following `follow` from the start.
 * @throws RemoteError E_NOT_AUTHORIZED when this node is not logged in, E_BAD_REQUEST when the
 * rendezvous refuses to follow them.
 */
export async function subscribePresence(
  node: TincanNode,
  rendezvous: Target,
  follow: readonly string[] = [],
): Promise<PresenceFeed> {
  const stream = await openStream(node, rendezvous, PROTOCOL.presence);
  lazyWindowUpdates(stream); // an answer draws no window update of its own
  const framed = new FramedStream<PresenceEvent, PresenceRequest>(
    stream,
    PresenceEvent,
    PresenceRequest,
    FRAMES.presenceEvent,
  );
  const pending: Pending[] = [];
  const queue: Presence[] = [];
  let wake: (() => void) | undefined;
  let ended: { err?: unknown } | undefined;
  let writing = Promise.resolve();

  const finish = (err?: unknown) => {
    if (ended) return;
    ended = err === undefined ? {} : { err };
    const gone = err ?? new RemoteError("The presence feed ended", "E_UNAVAILABLE");
    pending.splice(0).forEach((p) => p.reject(gone));
    wake?.();
  };
  const request = (message: Request, action: string): Promise<PresenceEvent> => {
    if (ended) {
      return Promise.reject(
        ended.err ?? new RemoteError(`Cannot ${action}: the presence feed ended`, "E_UNAVAILABLE"),
      );
    }
    const answer = new Promise<PresenceEvent>((resolve, reject) => {
      pending.push({ resolve, reject });
    }).then((reply) => expectOk(reply, action));
    writing = writing.then(() =>
      framed.write(presenceRequest(message)).catch((err: unknown) => finish(err))
    );
    return answer;
  };
  // Reads everything the rendezvous sends: replies to the waiting requests, events to the queue.
  void (async () => {
    try {
      while (true) {
        const event = await framed.readOrEnd();
        if (event === undefined) return finish();
        if (event.type === PresenceEvent.Type.REPLY) {
          const waiting = pending.shift();
          if (waiting === undefined) throw new ProtocolError("a presence reply nothing asked for");
          waiting.resolve(event);
          continue;
        }
        // A failing status on an event ends the feed: E_REPLACED when a newer login took over.
        expectOk(event, "stay logged in");
        queue.push({
          username: event.username,
          peerId: event.peerId,
          online: event.online,
          at: Number(event.at),
          away: event.away,
          mailWaiting: event.type === PresenceEvent.Type.MAIL_WAITING,
        });
        wake?.();
      }
    } catch (err: unknown) {
      finish(err);
    }
  })();
  const followAll = async (names: readonly string[], type: PresenceRequest.Type) => {
    for (let i = 0; i < names.length || i === 0; i += MAX_FOLLOW_PER_REQUEST) {
      const usernames = names.slice(i, i + MAX_FOLLOW_PER_REQUEST);
      await request({ type, usernames }, `${type === "FOLLOW" ? "follow" : "unfollow"} users`);
    }
  };
  try {
    // The first FOLLOW is the subscription itself: its refusal ends the feed.
    await followAll(follow, PresenceRequest.Type.FOLLOW);
  } catch (err: unknown) {
    await framed.close();
    throw err;
  }
  async function* events(): AsyncGenerator<Presence> {
    while (true) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (ended) {
        if (ended.err !== undefined) throw ended.err;
        return;
      }
      await new Promise<void>((resolve) => wake = resolve);
      wake = undefined;
    }
  }
  return {
    events: events(),
    follow: (names) =>
      names.length ? followAll(names, PresenceRequest.Type.FOLLOW) : Promise.resolve(),
    unfollow: (names) =>
      names.length ? followAll(names, PresenceRequest.Type.UNFOLLOW) : Promise.resolve(),
    list: async (cursor, limit) => {
      const reply = await request(
        { type: PresenceRequest.Type.LIST, cursor: cursor ?? "", limit },
        "list who is online",
      );
      return {
        users: reply.users.map(({ username, away }) => ({ username, away })),
        next: reply.nextCursor === "" ? undefined : reply.nextCursor,
      };
    },
    setAway: async (away) => {
      await request({ type: PresenceRequest.Type.AWAY, away }, "set the away text");
    },
    who: async (peerId) => {
      const reply = await request({ type: PresenceRequest.Type.WHO, peerId }, "ask who is online");
      return reply.username === "" ? undefined : reply.username;
    },
    heartbeat: async () => {
      await request({ type: PresenceRequest.Type.HEARTBEAT }, "keep the presence feed alive");
    },
    close: async () => {
      await writing;
      await framed.close();
    },
  };
}
