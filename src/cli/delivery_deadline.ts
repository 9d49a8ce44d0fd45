/**
 * Every chat message ends as delivered, queued or failed on screen. A message normally settles
 * within seconds (an acknowledgement, or the recipient's mailbox taking it); when neither the
 * recipient nor the rendezvous can be reached it would wait silently. After a deadline it is
 * marked failed — and said so — instead; the user sends it again later.
 */
import type { MessageIdHex, PeerEvent, PeerListener } from "../peer/events.ts";

/** How long a chat message may go without being delivered, queued or failed. */
export const DELIVERY_DEADLINE_MS = 60_000;

/** What the deadline uses of the peer. */
export interface DeadlinePeer {
  on(listener: PeerListener): () => void;
  markFailed(id: MessageIdHex, reason: string): "delivered" | "queued" | "failed";
}

/** The failed event the deadline reports. */
export type FailedEvent = Extract<PeerEvent, { type: "failed" }>;

/** Watches the messages it is given until they settle, and fails those that do not in time. */
export class DeliveryDeadline {
  readonly #open = new Map<MessageIdHex, { to: string; timer: ReturnType<typeof setTimeout> }>();
  readonly #stopListening: () => void;

  /** `report` shows a message the deadline failed. */
  constructor(
    private readonly peer: DeadlinePeer,
    private readonly report: (event: FailedEvent) => void,
    private readonly timeoutMs = DELIVERY_DEADLINE_MS,
  ) {
    this.#stopListening = peer.on((event) => {
      if (event.type === "delivered" || event.type === "queued" || event.type === "failed") {
        this.#settle(event.id);
      } else if (event.type === "key-changed") {
        // Held until /trust: the key-change warning is its state on screen.
        for (const [id, open] of this.#open) if (open.to === event.username) this.#settle(id);
      }
    });
  }

  /** Starts the deadline of our message `id` to `to`. */
  track(id: MessageIdHex, to: string): void {
    if (this.#open.has(id)) return;
    const timer = setTimeout(() => this.#expire(id, to), this.timeoutMs);
    this.#open.set(id, { to, timer });
  }

  /** Stops watching (quitting: what is unsettled stays in the outbox for the next run). */
  stop(): void {
    this.#stopListening();
    for (const { timer } of this.#open.values()) clearTimeout(timer);
    this.#open.clear();
  }

  #settle(id: MessageIdHex): void {
    const open = this.#open.get(id);
    if (open === undefined) return;
    clearTimeout(open.timer);
    this.#open.delete(id);
  }

  #expire(id: MessageIdHex, to: string): void {
    this.#open.delete(id);
    const reason = `no answer within ${Math.round(this.timeoutMs / 1000)} s: ${to} cannot be ` +
      `reached directly and the rendezvous did not take it; it will not be sent later — send ` +
      `it again once the rendezvous is back`;
    if (this.peer.markFailed(id, reason) === "failed") {
      this.report({ type: "failed", id, to, reason });
    }
  }
}

/**
 * `peer` with its `send` watched by `deadline` (every other member used as it is, bound to it):
 * what the REPL is given.
 */
export function withDeadline<T extends { send(to: string, text: string): Promise<MessageIdHex> }>(
  peer: T,
  deadline: DeliveryDeadline,
): T {
  const send = async (to: string, text: string) => {
    const id = await peer.send(to, text);
    deadline.track(id, to);
    return id;
  };
  return new Proxy(peer, {
    get(target, property) {
      if (property === "send") return send;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
