/**
 * /tincan/presence/1.0.0 — pushes online/offline events to logged-in peers: a status event, one
 * event per user online now, then every change until either side closes. A subscriber that falls
 * MAX_PRESENCE_BACKLOG events behind is reset; one that logs out is closed. When mail is deposited
 * for the subscriber, a "mail waiting" event (its own username, mailWaiting set) is pushed too.
 */
import type { Stream } from "@libp2p/interface";
import type { Logger } from "../log.ts";
import { FramedStream, type FrameLimits } from "../net/framed.ts";
import { PresenceEvent, PresenceRequest, Status } from "../proto/services.ts";
import { FRAMES } from "../protocol/limits.ts";
import { MAX_PRESENCE_BACKLOG } from "./constants.ts";
import type { LoggedInUsers, PresenceChange } from "./logged_in_users.ts";
import type { MailSignal } from "./mail_signal.ts";
import { type Caller, LOG_IN_FIRST, requireLogin } from "./require_login.ts";

/** What the presence protocol works with. */
export interface PresenceDeps {
  readonly loggedIn: LoggedInUsers;
  readonly log: Logger;
  /** Frame limits of the subscription request; FRAMES.presence unless given. */
  readonly frames?: FrameLimits;
  /** Mail deposits, pushed to the recipient's subscriptions as "mail waiting" events. */
  readonly mailSignal?: MailSignal;
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

/** Creates the handler of /tincan/presence/1.0.0. */
export function presenceProtocol(deps: PresenceDeps) {
  // The request has no fields: what is served is the stream it came on.
  const serve = requireLogin(
    deps.loggedIn,
    refuse,
    (framed: PresenceStream, username: string, connection: Caller) =>
      feed(deps, framed, username, connection.remotePeer.toString()),
  );
  return async (stream: Stream, connection: Caller): Promise<void> => {
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

/** Streams presence to the logged-in `peerId` until either side closes or it logs out. */
async function feed(
  deps: PresenceDeps,
  framed: PresenceStream,
  username: string,
  peerId: string,
): Promise<void> {
  const { stream } = framed;
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
    unsubscribe();
    unsubscribeMail?.();
    stream.removeEventListener("remoteCloseWrite", end);
    stream.removeEventListener("close", end);
  }
  if (stream.status === "open") await framed.close();
}
