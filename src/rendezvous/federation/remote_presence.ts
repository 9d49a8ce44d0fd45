/**
 * Presence of remote users for local ones, the home side: a local watcher (a peer's presence
 * stream) follows `bob@work` in the interest index (presence_interest.ts) — by a FOLLOW, or because
 * its user looked bob up (it talks to him; that interest lasts until the user logs out). The home
 * subscribes at `work` to the union of the remote users its watchers follow — that set and nothing
 * more, one SUBSCRIBE stream per node, replaced when the set changes — and delivers each update
 * to the watchers of that user only. When a stream breaks, the remote users it reported online
 * are reported offline (nothing is known of them now) and it is opened again with backoff, or as
 * soon as the link is up again.
 */
import type { Logger } from "../../log.ts";
import { backoffDelay } from "../../net/backoff.ts";
import type { FramedStream } from "../../net/framed.ts";
import {
  FederationRequest,
  type FederationResponse,
  type PresenceUpdate,
} from "../../proto/federation.ts";
import { MAX_SUBSCRIBE_USERS } from "../../protocol/limits.ts";
import type { LoggedInUsers, PresenceChange } from "../logged_in_users.ts";
import type { PresenceInterest, PresenceWatcher } from "../presence_interest.ts";
import type { FederationLinks, LinkTiming } from "./links.ts";

/** What presence streams tell of remote interests: the narrow interface presence_protocol uses. */
export interface RemotePresenceFeed {
  /** This node's case-folded name: `bob@<home>` is the local `bob`. */
  readonly home: string;
  /**
   * `watcher`, a presence stream of local user `local`, is open: it follows the remote users
   * `local` looked up (and those it looks up later); returns what to call when it ends.
   */
  attach(local: string, watcher: PresenceWatcher): () => void;
  /**
   * A watcher started following `names` in the interest index: the remote ones (`bob@work`) are
   * subscribed to at their nodes. Returns the changes of those known online now (for it).
   */
  followed(names: readonly string[]): PresenceChange[];
  /** Watchers stopped following `names`: remote users no one follows now are dropped. */
  unfollowed(names: readonly string[]): void;
}

/** Wait this long after an interest changes before subscribing again (batches changes). */
const RESUBSCRIBE_DELAY_MS = 50;

interface Subscription {
  framed: FramedStream<FederationResponse, FederationRequest> | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  failures: number;
  /** The remote users reported online on the current stream. */
  readonly online: Map<string, PresenceUpdate>;
}

/** Subscriptions at federated nodes for the local watchers' remote interests. */
export class RemotePresence implements RemotePresenceFeed {
  /** server → the remote usernames some local watcher follows (what SUBSCRIBE names). */
  readonly #wanted = new Map<string, Set<string>>();
  /** local user → the remote users (`bob@work`) it looked up, until it logs out. */
  readonly #lookups = new Map<string, Set<string>>();
  /** local user → its open presence streams. */
  readonly #attached = new Map<string, Set<PresenceWatcher>>();
  readonly #subscriptions = new Map<string, Subscription>();
  #stopped = false;
  #unsubscribe: (() => void)[] = [];

  constructor(
    readonly home: string,
    private readonly links: FederationLinks,
    private readonly loggedIn: LoggedInUsers,
    private readonly interest: PresenceInterest<PresenceWatcher>,
    private readonly log: Logger,
    private readonly retry: Pick<LinkTiming, "retryMinMs" | "retryMaxMs">,
  ) {}

  /** Subscribes again when a link comes up, and ends the lookups of users who log out. */
  start(): void {
    this.#unsubscribe = [
      this.links.onUp((server) => this.#schedule(server, 0)),
      this.loggedIn.subscribe((change) => {
        if (!change.online && this.loggedIn.byUsername(change.username) === undefined) {
          this.#lookups.delete(change.username);
        }
      }),
    ];
  }

  /** Closes every subscription. */
  stop(): void {
    this.#stopped = true;
    for (const off of this.#unsubscribe) off();
    for (const subscription of this.#subscriptions.values()) {
      clearTimeout(subscription.timer);
      subscription.framed?.abort(new Error("stopping"));
    }
  }

  /**
   * `local` looked up `username` at `server` (both case-folded): its presence streams, open now
   * or later until it logs out, follow `username@server`.
   */
  interested(local: string, server: string, username: string): void {
    const name = `${username}@${server}`;
    const names = this.#lookups.get(local) ?? new Set<string>();
    this.#lookups.set(local, names);
    if (names.has(name)) return;
    names.add(name);
    for (const watcher of this.#attached.get(local) ?? []) this.#follow(watcher, [name]);
  }

  /** See RemotePresenceFeed.attach. */
  attach(local: string, watcher: PresenceWatcher): () => void {
    const watchers = this.#attached.get(local) ?? new Set<PresenceWatcher>();
    this.#attached.set(local, watchers);
    watchers.add(watcher);
    this.#follow(watcher, [...this.#lookups.get(local) ?? []]);
    return () => {
      watchers.delete(watcher);
      if (watchers.size === 0 && this.#attached.get(local) === watchers) {
        this.#attached.delete(local);
      }
    };
  }

  /** See RemotePresenceFeed.followed. */
  followed(names: readonly string[]): PresenceChange[] {
    const known: PresenceChange[] = [];
    for (const name of names) {
      const remote = splitRemote(name);
      if (remote === undefined) continue;
      const { server, username } = remote;
      if (this.links.node(server) === undefined) continue; // not federated with: nothing to hear
      const wanted = this.#wanted.get(server) ?? new Set<string>();
      this.#wanted.set(server, wanted);
      if (!wanted.has(username)) {
        if (wanted.size >= MAX_SUBSCRIBE_USERS) {
          this.log.warn(`presence at ${server}: at the most users one subscription names`);
          continue;
        }
        wanted.add(username);
        this.#schedule(server, RESUBSCRIBE_DELAY_MS);
      }
      const update = this.#subscriptions.get(server)?.online.get(username);
      if (update !== undefined) known.push(change(server, update));
    }
    return known;
  }

  /** See RemotePresenceFeed.unfollowed. */
  unfollowed(names: readonly string[]): void {
    for (const name of names) {
      const remote = splitRemote(name);
      if (remote === undefined || this.interest.watchersOf(name).size > 0) continue;
      if (this.#wanted.get(remote.server)?.delete(remote.username)) {
        // no one here hears of it now: what was known of it is no more kept up to date
        this.#subscriptions.get(remote.server)?.online.delete(remote.username);
        this.#schedule(remote.server, RESUBSCRIBE_DELAY_MS);
      }
    }
  }

  /** Makes `watcher` follow `names` (lookups), and tells it of those known online now. */
  #follow(watcher: PresenceWatcher, names: readonly string[]): void {
    let added: string[];
    try {
      added = this.interest.follow(watcher, names);
    } catch (err: unknown) {
      if (!(err instanceof RangeError)) throw err;
      return this.log.warn(`cannot follow looked-up ${names.join(", ")}: ${err.message}`);
    }
    for (const known of this.followed(added)) watcher.deliver(known);
  }

  #subscription(server: string): Subscription {
    let subscription = this.#subscriptions.get(server);
    if (subscription === undefined) {
      subscription = { framed: undefined, timer: undefined, failures: 0, online: new Map() };
      this.#subscriptions.set(server, subscription);
    }
    return subscription;
  }

  #schedule(server: string, delayMs: number): void {
    if (this.#stopped) return;
    const subscription = this.#subscription(server);
    clearTimeout(subscription.timer);
    subscription.timer = setTimeout(() => {
      subscription.timer = undefined;
      void this.#resubscribe(server, subscription);
    }, delayMs);
  }

  /** Replaces `server`'s stream with one naming the users wanted now (none: just closes it). */
  async #resubscribe(server: string, subscription: Subscription): Promise<void> {
    subscription.framed?.abort(new Error("resubscribing"));
    subscription.framed = undefined;
    const usernames = [...(this.#wanted.get(server) ?? [])];
    if (usernames.length === 0 || this.#stopped) return this.#lost(server, subscription);
    let framed: FramedStream<FederationResponse, FederationRequest>;
    try {
      framed = await this.links.open(server, { type: FederationRequest.Type.SUBSCRIBE, usernames });
    } catch (err: unknown) {
      this.log.debug(`presence at ${server}: ${err instanceof Error ? err.message : err}`);
      return this.#retryLater(server, subscription);
    }
    if (this.#stopped || subscription.timer !== undefined) {
      // stopped, or the wanted set changed while this one opened: that one replaces it
      return framed.abort(new Error("replaced"));
    }
    subscription.framed = framed;
    subscription.failures = 0;
    const reported = subscription.online;
    try {
      while (true) {
        const frame = await framed.readOrEnd();
        const update = frame?.presence;
        if (update === undefined) break;
        // no one here asks (any more)
        if (!this.#wanted.get(server)?.has(update.username)) continue;
        if (update.online) {
          reported.set(update.username, update);
        } else {
          reported.delete(update.username);
        }
        this.#emit(server, update);
      }
    } catch (err: unknown) {
      this.log.debug(`presence at ${server} broke: ${err instanceof Error ? err.message : err}`);
    }
    if (subscription.framed !== framed) return; // replaced on purpose
    subscription.framed = undefined;
    this.#lost(server, subscription);
    this.#retryLater(server, subscription);
  }

  /** Nothing is known any more of the remote users `server`'s stream reported online. */
  #lost(server: string, subscription: Subscription): void {
    const gone = [...subscription.online.values()];
    subscription.online.clear();
    for (const update of gone) this.#emit(server, { ...update, online: false, away: "" });
  }

  #retryLater(server: string, subscription: Subscription): void {
    if ((this.#wanted.get(server)?.size ?? 0) === 0) return;
    const delay = backoffDelay(subscription.failures, {
      minMs: this.retry.retryMinMs,
      maxMs: this.retry.retryMaxMs,
    });
    subscription.failures++;
    this.#schedule(server, delay);
  }

  /** Delivers `update` to the local watchers of that remote user. */
  #emit(server: string, update: PresenceUpdate): void {
    const remote = change(server, update);
    for (const watcher of this.interest.watchersOf(remote.username)) watcher.deliver(remote);
  }
}

/** `bob@work` as its server and username; undefined for a local name. */
function splitRemote(name: string): { server: string; username: string } | undefined {
  const at = name.indexOf("@");
  return at < 0 ? undefined : { username: name.slice(0, at), server: name.slice(at + 1) };
}

function change(server: string, update: PresenceUpdate): PresenceChange {
  return {
    username: `${update.username}@${server}`,
    peerId: update.peerId,
    online: update.online,
    at: Number(update.at),
    away: update.online ? update.away : "",
  };
}
