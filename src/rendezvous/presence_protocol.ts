/**
 * /tincan/presence/1.0.0 — pushes online/offline events to logged-in peers: a status event, one
 * event per user online now, then every change until either side closes. A subscriber that falls
 * MAX_PRESENCE_BACKLOG events behind is reset; one that logs out is closed; one whose login a
 * newer login replaced gets a last event with status E_REPLACED (replaced_logins.ts). When mail is
 * deposited for the subscriber, a "mail waiting" event (its own username, mailWaiting set) is
 * pushed too, and so are the presence changes of the remote users (`bob@work`) the subscriber
 * is interested in (federation/remote_presence.ts).
 */
import type { Connection, Stream } from "@libp2p/interface";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { PresenceEvent, PresenceRequest, Status } from "../proto/services.ts";
import { FRAMES } from "../protocol/limits.ts";
import { MAX_PRESENCE_BACKLOG } from "./constants.ts";
import type { LoggedInUsers, PresenceChange } from "./logged_in_users.ts";
import type { MailSignal } from "./mail_signal.ts";
import type { ReplacedLogins } from "./replaced_logins.ts";
import { type Caller, LOG_IN_FIRST, requireLogin } from "./require_login.ts";
import type { Metrics } from "./metrics.ts";
import type { RemotePresenceFeed } from "./federation/remote_presence.ts";

/** What the presence protocol works with. */
export interface PresenceDeps {
  readonly loggedIn: LoggedInUsers;
  /** Where a stream registers to be told that its login was replaced. */
  readonly logins: ReplacedLogins;
  readonly log: Logger;
  /** Frame limits of the subscription request; FRAMES.presence unless given. */
  readonly frames?: FrameLimits;
  /** Mail deposits, pushed to the recipient's subscriptions as "mail waiting" events. */
  readonly mailSignal?: MailSignal;
  /** Operator hook: counts the open subscriptions. */
  readonly metrics: Metrics;
  /** Federation: the remote users (`bob@work`) the subscriber is interested in, pushed too. */
  readonly remote?: RemotePresenceFeed;
}

function event(change: PresenceChange): PresenceEvent {
  return {
    status: Status.OK,
    statusText: "",
    username: change.username,
    peerId: change.peerId,
    online: change.online,
    at: BigInt(change.at),
    mailWaiting: false,
  };
}

const NO_EVENT = { username: "", peerId: "", online: false, at: 0n, mailWaiting: false };

type PresenceStream = FramedStream<PresenceRequest, PresenceEvent>;

/** What presence needs of a connection: who is at the other end, and which connection it is. */
export type PresenceCaller = Caller & Pick<Connection, "id">;

/** Creates the handler of /tincan/presence/1.0.0. */
export function presenceProtocol(deps: PresenceDeps) {
  // The request has no fields: what is served is the stream it came on.
  const serve = requireLogin(
    deps.loggedIn,
    refuse,
    (framed: PresenceStream, username: string, connection: PresenceCaller) =>
      feed(deps, framed, username, connection),
  );
  return async (stream: Stream, connection: PresenceCaller): Promise<void> => {
    const framed: PresenceStream = new FramedStream(
      stream,
      PresenceRequest,
      PresenceEvent,
      deps.frames ?? FRAMES.presence,
    );
    await framed.read();
    await serve(framed, connection);
  };
}

async function refuse(framed: PresenceStream): Promise<void> {
  await framed.write({ ...NO_EVENT, status: Status.E_NOT_AUTHORIZED, statusText: LOG_IN_FIRST });
  await framed.close();
}

/**
 * Streams presence (and "mail waiting" for `username`) to the logged-in caller until either side
 * closes, it logs out, or a newer login replaces it (then a last E_REPLACED event says so).
 */
async function feed(
  deps: PresenceDeps,
  framed: PresenceStream,
  username: string,
  connection: PresenceCaller,
): Promise<void> {
  const { stream } = framed;
  const peerId = connection.remotePeer.toString();
  const backlog: PresenceEvent[] = [{ ...NO_EVENT, status: Status.OK, statusText: "" }];
  let wake: (() => void) | undefined;
  let ended = false;
  const end = () => {
    ended = true;
    wake?.();
  };
  const push = (next: PresenceEvent) => {
    backlog.push(next);
    if (backlog.length > MAX_PRESENCE_BACKLOG) {
      deps.log.warn(`presence subscriber ${peerId} fell behind; resetting its stream`);
      stream.abort(new Error("presence backlog overflow"));
      return end();
    }
    wake?.();
  };
  const unsubscribe = deps.loggedIn.subscribe((change) => {
    if (!change.online && change.peerId === peerId) return end();
    push(event(change));
  });
  const unsubscribeRemote = deps.remote?.subscribe(username, (change) => push(event(change)));
  const unsubscribeMail = deps.mailSignal?.subscribe(username, () => {
    // One pending "mail waiting" is enough: the peer fetches everything that is waiting.
    if (!backlog.some((e) => e.mailWaiting)) {
      push({ ...NO_EVENT, status: Status.OK, statusText: "", username, peerId, mailWaiting: true });
    }
  });
  // The subscriber closing its end (or the stream closing) ends the feed.
  stream.addEventListener("remoteCloseWrite", end);
  stream.addEventListener("close", end);
  for (const user of deps.loggedIn.online()) {
    backlog.push(event({ ...user, online: true, at: user.since }));
  }
  let replaced: { event: PresenceEvent; written: () => void } | undefined;
  const stopListening = deps.logins.listen(
    connection.id,
    (statusText) =>
      new Promise<void>((written) => {
        replaced = { event: { ...NO_EVENT, status: Status.E_REPLACED, statusText }, written };
        wake?.();
      }),
  );
  deps.metrics.presenceSubscribers(1);
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
      await framed.write(next);
    }
  } finally {
    deps.metrics.presenceSubscribers(-1);
    stopListening();
    unsubscribe();
    unsubscribeRemote?.();
    unsubscribeMail?.();
    stream.removeEventListener("remoteCloseWrite", end);
    stream.removeEventListener("close", end);
  }
  if (stream.status === "open") await framed.close();
}
