/**
 * /tincan/presence/2.0.0 — presence by interest (services.proto). A logged-in peer declares the
 * users it follows (FOLLOW / UNFOLLOW, bounded by MAX_FOLLOWED) and is pushed their online,
 * offline and away changes only; everyone online is a LIST away, one bounded page at a time. A
 * change is delivered through the interest index (presence_interest.ts) to the watchers of that
 * user, so a login costs O(its followers). The stream is also the peer's liveness: a subscriber
 * silent for PRESENCE_HEARTBEAT.silenceMs is taken for dead and its connection dropped (its user
 * goes offline). One sweep timer for all subscribers finds the silent ones (silence_sweep.ts): a
 * request read arms no timer and allocates no signal, and the stream's Yamux window updates are
 * sent at half the window (lazy_window_updates.ts), so a heartbeat costs one frame in, one out.
 * A subscriber that falls MAX_PRESENCE_BACKLOG events behind is reset; one that logs out is closed; one whose login a newer login replaced gets a last CHANGE with status
 * E_REPLACED (replaced_logins.ts); mail deposited for it is pushed as MAIL_WAITING. With
 * federation, a peer may follow remote users (`bob@work`) too: the remote-presence manager
 * (federation/remote_presence.ts) subscribes at their nodes and delivers their changes to their
 * watchers here; the remote users its user looked up are followed as well.
 */
import type { Connection, Stream } from "@libp2p/interface";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { lazyWindowUpdates } from "../net/lazy_window_updates.ts";
import { PresenceEvent, PresenceRequest, Status } from "../proto/services.ts";
import { checkAwayText } from "../protocol/away_text.ts";
import {
  FRAMES,
  MAX_FOLLOW_PER_REQUEST,
  MAX_LIST_PAGE,
  PRESENCE_HEARTBEAT,
} from "../protocol/limits.ts";
import { formatQualifiedName, parseQualifiedName } from "../protocol/qualified_name.ts";
import { normalizeUsername } from "../protocol/username.ts";
import { MAX_PRESENCE_BACKLOG } from "./constants.ts";
import type { RemotePresenceFeed } from "./federation/remote_presence.ts";
import type { LoggedInUsers, PresenceChange } from "./logged_in_users.ts";
import type { MailSignal } from "./mail_signal.ts";
import { PresenceInterest, type PresenceWatcher } from "./presence_interest.ts";
import type { ReplacedLogins } from "./replaced_logins.ts";
import { type Caller, LOG_IN_FIRST, requireLogin } from "./require_login.ts";
import type { Metrics } from "./metrics.ts";
import { SilenceSweep } from "./silence_sweep.ts";

/** What the presence protocol works with. */
export interface PresenceDeps {
  readonly loggedIn: LoggedInUsers;
  /**
   * Who follows whom; a new index unless given (federation's remote-presence manager shares it:
   * it delivers the changes of remote users, `bob@work`, to their watchers in it).
   */
  readonly interest?: PresenceInterest<PresenceWatcher>;
  /** Where a stream registers to be told that its login was replaced. */
  readonly logins: ReplacedLogins;
  readonly log: Logger;
  /** Frame limits of the requests; FRAMES.presence unless given (its deadline: the first one). */
  readonly frames?: FrameLimits;
  /**
   * A subscriber silent this long is dropped; PRESENCE_HEARTBEAT.silenceMs unless given. The sweep
   * looks every PRESENCE_HEARTBEAT.sweepMs (or silenceMs / 4, when shorter).
   */
  readonly silenceMs?: number;
  /** Mail deposits, pushed to the recipient's subscriptions as "mail waiting" events. */
  readonly mailSignal?: MailSignal;
  /** Operator hook: counts the open subscriptions. */
  readonly metrics: Metrics;
  /** The clock of away changes; Date.now unless given. */
  readonly now?: () => number;
  /** Federation: follows remote users (`bob@work`) at their nodes; without it, local names only. */
  readonly remote?: RemotePresenceFeed;
}

/** Replies the writer may owe one subscriber before it is taken for hostile and reset. */
const MAX_UNSENT_REPLIES = 32;

const BLANK = {
  status: Status.OK,
  statusText: "",
  username: "",
  peerId: "",
  online: false,
  at: 0n,
  away: "",
  users: [],
  nextCursor: "",
};

function changeEvent(change: PresenceChange): PresenceEvent {
  return {
    ...BLANK,
    type: EventType.CHANGE,
    username: change.username,
    peerId: change.peerId,
    online: change.online,
    at: BigInt(change.at),
    away: change.away,
  };
}

function reply(status = Status.OK, statusText = ""): PresenceEvent {
  return { ...BLANK, type: EventType.REPLY, status, statusText };
}

const EventType = PresenceEvent.Type;
const RequestType = PresenceRequest.Type;

type PresenceStream = FramedStream<PresenceRequest, PresenceEvent>;

/** What presence needs of a connection: who is at the other end, which one, and how to drop it. */
export type PresenceCaller = Caller & Pick<Connection, "id" | "abort">;

/** Creates the handler of /tincan/presence/2.0.0. */
export function presenceProtocol(deps: PresenceDeps) {
  const interest = deps.interest ?? new PresenceInterest<PresenceWatcher>();
  /** The subscriptions by PeerId, ended when that PeerId's login ends. */
  const own = new Map<string, Set<() => void>>();
  // One listener for all subscriptions: a change costs O(watchers of that user).
  deps.loggedIn.subscribe((change) => {
    if (!change.online) own.get(change.peerId)?.forEach((end) => end());
    for (const watcher of interest.watchersOf(change.username)) watcher.deliver(change);
  });
  const frames = deps.frames ?? FRAMES.presence;
  const silenceMs = deps.silenceMs ?? PRESENCE_HEARTBEAT.silenceMs;
  const liveness = new SilenceSweep<object>({
    silenceMs,
    sweepMs: Math.min(PRESENCE_HEARTBEAT.sweepMs, Math.ceil(silenceMs / 4)),
  });
  const serve = requireLogin(
    deps.loggedIn,
    refuse,
    (first: Subscription, username: string, connection: PresenceCaller) =>
      feed({ ...deps, interest, own, silenceMs, liveness }, first, username, connection),
  );
  return async (stream: Stream, connection: PresenceCaller): Promise<void> => {
    lazyWindowUpdates(stream); // a heartbeat draws its answer only, not a window update too
    // The first read has its deadline (frames.readTimeoutMs); the later ones none of their own:
    // the liveness sweep drops a silent subscriber's connection, which ends its pending read.
    const framed: PresenceStream = new FramedStream(stream, PresenceRequest, PresenceEvent, {
      ...frames,
      readTimeoutMs: Infinity,
      maxFrames: Infinity,
    });
    const request = await framed.read(AbortSignal.timeout(frames.readTimeoutMs));
    await serve({ framed, request }, connection);
  };
}

/** The stream and its first request. */
interface Subscription {
  readonly framed: PresenceStream;
  readonly request: PresenceRequest;
}

async function refuse({ framed }: Subscription): Promise<void> {
  await framed.write(reply(Status.E_NOT_AUTHORIZED, LOG_IN_FIRST));
  await framed.close();
}

type FeedDeps = PresenceDeps & {
  readonly interest: PresenceInterest<PresenceWatcher>;
  readonly own: Map<string, Set<() => void>>;
  readonly silenceMs: number;
  readonly liveness: SilenceSweep<object>;
};

/**
 * Serves one subscription: answers its requests in order, pushes the changes of the users it
 * follows (and "mail waiting" for `username`) until either side closes, it logs out, falls
 * silent, or a newer login replaces it (then a last E_REPLACED event says so).
 */
async function feed(
  deps: FeedDeps,
  { framed, request: first }: Subscription,
  username: string,
  connection: PresenceCaller,
): Promise<void> {
  const { stream } = framed;
  const peerId = connection.remotePeer.toString();
  const backlog: PresenceEvent[] = [];
  let unsentReplies = 0;
  let reset = false;
  let reading = Promise.resolve();
  let wake: (() => void) | undefined;
  let ended = false;
  const stopReading = new AbortController();
  const end = () => {
    ended = true;
    stopReading.abort();
    wake?.();
  };
  const push = (next: PresenceEvent) => {
    backlog.push(next);
    if (next.type === EventType.REPLY) unsentReplies++;
    if (backlog.length > MAX_PRESENCE_BACKLOG || unsentReplies > MAX_UNSENT_REPLIES) {
      deps.log.warn(`presence subscriber ${peerId} fell behind; resetting its stream`);
      reset = true;
      end();
      // Reset once the pending read has stopped: a reset under a pending read can reach the
      // subscriber as a plain close.
      void reading.then(() => stream.abort(new Error("presence backlog overflow")));
      return;
    }
    wake?.();
  };
  const watcher: PresenceWatcher = { deliver: (change) => push(changeEvent(change)) };
  let ends = deps.own.get(peerId);
  if (ends === undefined) deps.own.set(peerId, ends = new Set());
  ends.add(end);
  const unsubscribeMail = deps.mailSignal?.subscribe(username, () => {
    // One pending "mail waiting" is enough: the peer fetches everything that is waiting.
    if (!backlog.some((e) => e.type === EventType.MAIL_WAITING)) {
      push({ ...BLANK, type: EventType.MAIL_WAITING, username, peerId });
    }
  });
  // The subscriber closing its end (or the stream closing) ends the feed.
  stream.addEventListener("remoteCloseWrite", end);
  stream.addEventListener("close", end);
  let replaced: { event: PresenceEvent; written: () => void } | undefined;
  const stopListening = deps.logins.listen(
    connection.id,
    (statusText) =>
      new Promise<void>((written) => {
        replaced = {
          event: { ...changeEvent(NO_CHANGE), status: Status.E_REPLACED, statusText },
          written,
        };
        wake?.();
      }),
  );
  const answer = (request: PresenceRequest): PresenceEvent => {
    try {
      return serveRequest(deps, watcher, peerId, request, push);
    } catch (err: unknown) {
      if (!(err instanceof RangeError)) throw err;
      return reply(Status.E_BAD_REQUEST, err.message);
    }
  };
  const firstReply = first.type === RequestType.FOLLOW
    ? answer(first)
    : reply(Status.E_BAD_REQUEST, "the first presence request must be a FOLLOW");
  const refused = firstReply.status !== Status.OK;
  push(firstReply);
  deps.metrics.presenceSubscribers(1);
  // The remote users our user looked up are followed too (after the first reply).
  const detachRemote = refused ? undefined : deps.remote?.attach(username, watcher);
  if (!refused) {
    reading = readRequests(deps, framed, connection, answer, {
      push,
      end,
      ended: () => ended,
      stopped: stopReading.signal,
    });
  }
  try {
    while (!ended) {
      if (replaced !== undefined) {
        await framed.write(replaced.event);
        replaced.written();
        break;
      }
      const next = backlog.shift();
      if (next === undefined) {
        await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
        continue;
      }
      if (next.type === EventType.REPLY) unsentReplies--;
      await framed.write(next);
      if (next === firstReply && refused) break; // a refused subscription ends with its reply
    }
  } finally {
    end();
    deps.metrics.presenceSubscribers(-1);
    detachRemote?.();
    const followed = [...deps.interest.following(watcher)];
    deps.interest.forget(watcher);
    deps.remote?.unfollowed(followed);
    ends.delete(end);
    if (ends.size === 0) deps.own.delete(peerId);
    stopListening();
    unsubscribeMail?.();
    stream.removeEventListener("remoteCloseWrite", end);
    stream.removeEventListener("close", end);
  }
  if (!reset && stream.status === "open") await framed.close();
  await reading;
}

const NO_CHANGE: PresenceChange = { username: "", peerId: "", online: false, at: 0, away: "" };

/**
 * Reads requests until the feed ends and answers each through `queue.push`. A subscriber silent
 * for `deps.silenceMs` is taken for dead (found by `deps.liveness`): its whole connection is
 * dropped, which logs it out and ends the pending read.
 */
async function readRequests(
  deps: FeedDeps,
  framed: PresenceStream,
  connection: PresenceCaller,
  answer: (request: PresenceRequest) => PresenceEvent,
  queue: {
    push(event: PresenceEvent): void;
    end(): void;
    ended(): boolean;
    readonly stopped: AbortSignal;
  },
): Promise<void> {
  const subscriber = {};
  deps.liveness.watch(subscriber, () => {
    deps.log.info(
      `presence subscriber ${connection.remotePeer} silent for ${deps.silenceMs} ms; ` +
        `dropping its connection`,
    );
    connection.abort(new Error(`no presence heartbeat within ${deps.silenceMs} ms`));
    queue.end();
  });
  try {
    while (!queue.ended()) {
      let request;
      try {
        request = await framed.readOrEnd(queue.stopped);
      } catch (err: unknown) {
        if (queue.ended()) return;
        deps.log.debug(`presence request refused: ${(err as Error).message}`);
        framed.abort(err instanceof Error ? err : new Error(String(err)));
        return queue.end();
      }
      if (request === undefined) return queue.end();
      deps.liveness.heard(subscriber);
      queue.push(answer(request));
    }
  } finally {
    deps.liveness.forget(subscriber);
  }
}

/**
 * Serves one request; pushes what comes before its reply (the CHANGEs of newly followed users
 * online now) and returns the reply.
 * @throws RangeError when the request breaks a limit (answered E_BAD_REQUEST).
 */
function serveRequest(
  deps: FeedDeps,
  watcher: PresenceWatcher,
  peerId: string,
  request: PresenceRequest,
  push: (event: PresenceEvent) => void,
): PresenceEvent {
  const { loggedIn } = deps;
  switch (request.type) {
    case RequestType.FOLLOW: {
      const names = checkNames(request.usernames, deps.remote?.home);
      const added = deps.interest.follow(watcher, names);
      for (const name of added) {
        const user = loggedIn.byUsername(name);
        if (user) {
          const away = loggedIn.awayOf(name);
          push(changeEvent({ ...user, online: true, at: user.since, away }));
        }
      }
      for (const known of deps.remote?.followed(added) ?? []) push(changeEvent(known));
      return reply();
    }
    case RequestType.UNFOLLOW: {
      const names = checkNames(request.usernames, deps.remote?.home);
      deps.interest.unfollow(watcher, names);
      deps.remote?.unfollowed(names);
      return reply();
    }
    case RequestType.LIST: {
      if (request.limit < 1 || request.limit > MAX_LIST_PAGE) {
        throw new RangeError(`A page of ${request.limit} users: ask for 1 to ${MAX_LIST_PAGE}`);
      }
      const page = loggedIn.page(request.cursor, request.limit, (deps.now ?? Date.now)());
      return { ...reply(), users: [...page.users], nextCursor: page.next };
    }
    case RequestType.HEARTBEAT:
      return reply();
    case RequestType.WHO:
      return { ...reply(), username: loggedIn.usernameOf(request.peerId) ?? "" };
    case RequestType.AWAY:
      loggedIn.setAway(peerId, checkAwayText(request.away), (deps.now ?? Date.now)());
      return reply();
    default:
      throw new RangeError(`Unknown presence request type ${request.type}`);
  }
}

/**
 * The usernames of a FOLLOW or UNFOLLOW, each a valid username, case-folded; with federation
 * (`home` is this node's name) also `bob@work` (and `bob@<home>` is `bob`).
 * @throws RangeError when there are too many or one is not a username.
 */
function checkNames(names: readonly string[], home: string | undefined): string[] {
  if (names.length > MAX_FOLLOW_PER_REQUEST) {
    throw new RangeError(
      `${names.length} usernames in one request: at most ${MAX_FOLLOW_PER_REQUEST}`,
    );
  }
  if (home === undefined) return names.map(normalizeUsername);
  return names.map((name) => formatQualifiedName(parseQualifiedName(name, home), home));
}
