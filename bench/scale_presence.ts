/**
 * The scale bench's presence watcher: a peer's presence subscription that notes when it hears one
 * user go online or offline. The one place that knows the presence model: presence by interest
 * (/tincan/presence/2.0.0), where a watcher follows `follow` and hears only them.
 */
import type { Multiaddr } from "@multiformats/multiaddr";
import type { TincanNode } from "../src/net/node.ts";
import { subscribePresence } from "../src/peer/clients/presence.ts";
import { startHeartbeat } from "../src/peer/presence_heartbeat.ts";
import { wallClockMs } from "./scale_protocol.ts";

/** Whether a subscriber hears only the users it follows (else every login: broadcast). */
export const PRESENCE_BY_INTEREST = true;

/** One peer's presence subscription, watching for one change at a time. */
export interface PresenceWatch {
  /** Forget what was heard; note the next time `user` is heard to be `online` (or offline). */
  arm(user: string, online: boolean): void;
  /** The wall-clock time (wallClockMs) the armed change was heard; undefined if `signal` fires first. */
  seen(signal: AbortSignal): Promise<number | undefined>;
  /** Why its heartbeat stopped (unanswered in time, the stream failed); undefined while it beats. */
  readonly dead: string | undefined;
  close(): Promise<void>;
}

/**
 * Subscribes `node` to presence at `rendezvous`, following `follow` where the model has it, and
 * keeps the subscription alive with the presence heartbeat (the rendezvous drops a peer silent for
 * PRESENCE_HEARTBEAT.silenceMs).
 */
export async function watchPresence(
  node: TincanNode,
  rendezvous: Multiaddr,
  follow: readonly string[],
): Promise<PresenceWatch> {
  const feed = await subscribePresence(node, rendezvous, follow);
  let armed: { user: string; online: boolean } | undefined;
  let heardAt: number | undefined;
  let heard: (() => void) | undefined;
  let dead: string | undefined;
  const stopHeartbeat = startHeartbeat({
    beat: () => feed.heartbeat(),
    onDead: (reason) => dead = reason.message,
  });
  void (async () => {
    try {
      for await (const event of feed.events) {
        if (armed?.user === event.username && armed.online === event.online && !event.mailWaiting) {
          heardAt ??= wallClockMs();
          heard?.();
        }
      }
    } catch {
      // the feed ended (the node stopped): seen() then times out
    }
  })();
  return {
    arm(user, online) {
      armed = { user, online };
      heardAt = undefined;
    },
    async seen(signal) {
      if (heardAt === undefined && !signal.aborted) {
        await new Promise<void>((resolve) => {
          heard = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        heard = undefined;
      }
      return heardAt;
    },
    get dead() {
      return dead;
    },
    close: () => {
      stopHeartbeat();
      return feed.close();
    },
  };
}
