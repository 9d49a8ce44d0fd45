/**
 * Presence of remote users for local ones, the home side: a local user is interested in
 * `bob@work` (it looked bob up: it talks to him); the home subscribes at `work` to the users its
 * logged-in users are interested in — that set and nothing more, one SUBSCRIBE stream per node,
 * replaced when the set changes — and passes each update to the local users who asked. An
 * interest ends when its local user logs out. When a stream breaks, the remote users it reported
 * online are reported offline (nothing is known of them now) and it is opened again with backoff,
 * or as soon as the link is up again.
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
import type { FederationLinks, LinkTiming } from "./links.ts";

/** Which remote users' presence local users get: the narrow interface presence streams use. */
export interface RemotePresenceFeed {
  /**
   * Calls `listener` with the presence changes of the remote users `local` is interested in
   * (their username qualified, `bob@work`), first those online now; returns an unsubscribe.
   */
  subscribe(local: string, listener: (change: PresenceChange) => void): () => void;
  /** `local` is interested in `username` at `server` (both case-folded) until it logs out. */
  interested(local: string, server: string, username: string): void;
  /** Ends every interest of `local`. */
  forget(local: string): void;
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

/** Subscriptions at federated nodes for the local users' interests. */
export class RemotePresence implements RemotePresenceFeed {
  /** server → remote username → local users interested. */
  readonly #interest = new Map<string, Map<string, Set<string>>>();
  readonly #listeners = new Map<string, Set<(change: PresenceChange) => void>>();
  readonly #subscriptions = new Map<string, Subscription>();
  #stopped = false;
  #unsubscribe: (() => void)[] = [];

  constructor(
    private readonly links: FederationLinks,
    private readonly loggedIn: LoggedInUsers,
    private readonly log: Logger,
    private readonly retry: Pick<LinkTiming, "retryMinMs" | "retryMaxMs">,
  ) {}

  /** Subscribes again when a link comes up, and ends interests of users who log out. */
  start(): void {
    this.#unsubscribe = [
      this.links.onUp((server) => this.#schedule(server, 0)),
      this.loggedIn.subscribe((change) => {
        if (!change.online && this.loggedIn.byUsername(change.username) === undefined) {
          this.forget(change.username);
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

  /** See RemotePresenceFeed.interested. */
  interested(local: string, server: string, username: string): void {
    const users = this.#interest.get(server) ?? new Map<string, Set<string>>();
    this.#interest.set(server, users);
    const locals = users.get(username);
    if (locals?.has(local)) return;
    if (locals === undefined && users.size >= MAX_SUBSCRIBE_USERS) {
      this.log.warn(`presence at ${server}: at the most users one subscription names`);
      return;
    }
    const known = this.#subscriptions.get(server)?.online.get(username);
    if (locals === undefined) {
      users.set(username, new Set([local]));
      this.#schedule(server, RESUBSCRIBE_DELAY_MS);
    } else {
      locals.add(local);
    }
    if (known !== undefined) this.#emit(server, known, [local]);
  }

  /** See RemotePresenceFeed.forget. */
  forget(local: string): void {
    for (const [server, users] of this.#interest) {
      let changed = false;
      for (const [username, locals] of users) {
        if (locals.delete(local) && locals.size === 0) {
          users.delete(username);
          changed = true;
        }
      }
      if (changed) this.#schedule(server, RESUBSCRIBE_DELAY_MS);
    }
  }

  /** See RemotePresenceFeed.subscribe. */
  subscribe(local: string, listener: (change: PresenceChange) => void): () => void {
    const listeners = this.#listeners.get(local) ?? new Set();
    this.#listeners.set(local, listeners);
    listeners.add(listener);
    for (const [server, users] of this.#interest) {
      const online = this.#subscriptions.get(server)?.online;
      for (const [username, locals] of users) {
        const update = online?.get(username);
        if (update !== undefined && locals.has(local)) listener(change(server, update));
      }
    }
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#listeners.delete(local);
    };
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
    const usernames = [...(this.#interest.get(server)?.keys() ?? [])];
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
        const wanted = this.#interest.get(server)?.get(update.username);
        if (wanted === undefined) continue; // no one here asked (any more)
        if (update.online) {
          reported.set(update.username, update);
        } else {
          reported.delete(update.username);
        }
        this.#emit(server, update, [...wanted]);
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
    for (const update of gone) {
      const locals = this.#interest.get(server)?.get(update.username);
      if (locals) this.#emit(server, { ...update, online: false }, [...locals]);
    }
  }

  #retryLater(server: string, subscription: Subscription): void {
    if ((this.#interest.get(server)?.size ?? 0) === 0) return;
    const delay = backoffDelay(subscription.failures, {
      minMs: this.retry.retryMinMs,
      maxMs: this.retry.retryMaxMs,
    });
    subscription.failures++;
    this.#schedule(server, delay);
  }

  #emit(server: string, update: PresenceUpdate, locals: readonly string[]): void {
    for (const local of locals) {
      for (const listener of this.#listeners.get(local) ?? []) listener(change(server, update));
    }
  }
}

function change(server: string, update: PresenceUpdate): PresenceChange {
  return {
    username: `${update.username}@${server}`,
    peerId: update.peerId,
    online: update.online,
    at: Number(update.at),
  };
}
