/**
 * Presence for federated nodes, the callee side of SUBSCRIBE: a listed node names the users here
 * its own users are interested in; this node tells it which of them are online now (with their
 * away text), then each time one comes, goes or changes its away text, until the stream closes.
 * It learns of no one else. One subscription per node: a new SUBSCRIBE replaces the old one. A
 * subscriber that falls MAX_PRESENCE_BACKLOG updates behind is reset.
 */
import type { Logger } from "../../log.ts";
import type { FramedStream } from "../../net/framed.ts";
import {
  type FederationRequest,
  type FederationResponse,
  FederationStatus,
  type PresenceUpdate,
} from "../../proto/federation.ts";
import { federationResponse } from "./federation_response.ts";
import { normalizeUsername } from "../../protocol/username.ts";
import { MAX_PRESENCE_BACKLOG } from "../constants.ts";
import type { LoggedInUsers } from "../logged_in_users.ts";
import type { FederatedNode } from "./federated_node.ts";
import type { ServeSubscription } from "./federation_protocol.ts";

/** Serves SUBSCRIBE streams from the presence of `loggedIn`. */
export function presenceSubscriptions(loggedIn: LoggedInUsers, log: Logger): ServeSubscription {
  const current = new Map<string, () => void>();
  return async (
    node: FederatedNode,
    names: readonly string[],
    framed: FramedStream<FederationRequest, FederationResponse>,
  ): Promise<void> => {
    const watched = new Set<string>();
    for (const name of names) {
      try {
        watched.add(normalizeUsername(name));
      } catch {
        // a name no user here can have: nothing to tell
      }
    }
    current.get(node.name)?.();
    const backlog: PresenceUpdate[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      wake?.();
    };
    current.set(node.name, end);
    const push = (update: PresenceUpdate) => {
      backlog.push(update);
      if (backlog.length > MAX_PRESENCE_BACKLOG) {
        log.warn(`presence subscription of ${node.name} fell behind; resetting it`);
        framed.abort(new Error("presence backlog overflow"));
        end();
      }
      wake?.();
    };
    const unsubscribe = loggedIn.subscribe((change) => {
      if (!watched.has(change.username)) return;
      push({
        username: change.username,
        online: change.online,
        peerId: change.peerId,
        at: BigInt(change.at),
        away: change.away,
      });
    });
    for (const username of watched) {
      const user = loggedIn.byUsername(username);
      if (user === undefined) continue;
      backlog.push({
        username,
        online: true,
        peerId: user.peerId,
        at: BigInt(user.since),
        away: loggedIn.awayOf(username),
      });
    }
    const { stream } = framed;
    stream.addEventListener("remoteCloseWrite", end);
    stream.addEventListener("close", end);
    try {
      while (!ended) {
        const next = backlog.shift();
        if (next === undefined) {
          await new Promise<void>((resolve) => wake = resolve);
          wake = undefined;
          continue;
        }
        await framed.write(federationResponse(FederationStatus.OK, "", { presence: next }));
      }
    } finally {
      unsubscribe();
      if (current.get(node.name) === end) current.delete(node.name);
      stream.removeEventListener("remoteCloseWrite", end);
      stream.removeEventListener("close", end);
    }
  };
}
