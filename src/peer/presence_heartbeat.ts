/**
 * The peer's half of liveness on the presence stream (instead of libp2p's ping of every
 * connection every 4 s): a heartbeat at a jittered interval (PRESENCE_HEARTBEAT: 20 s ± 20 %),
 * so the rendezvous hears from us well within its silence limit and peers started together do
 * not beat in lockstep. A heartbeat is one-way (`send`, a BEAT the rendezvous does not answer)
 * unless we have heard nothing from the rendezvous for askAfterMs: then it is a question (`ask`,
 * a HEARTBEAT), and one left unanswered for replyTimeoutMs means the rendezvous is gone (its TCP
 * connection may look open for minutes), and `onDead` drops the connection. So an idle peer costs
 * the rendezvous a read per beat and a write per askAfterMs or so, and a rendezvous gone silent
 * is found within askAfterMs + maxIntervalMs + replyTimeoutMs (PRESENCE_HEARTBEAT.deadRendezvousMs).
 */
import { PRESENCE_HEARTBEAT } from "../protocol/limits.ts";

/** What the heartbeat works with. */
export interface HeartbeatOptions {
  /** Sends one heartbeat that is answered; resolves when it is answered. */
  readonly ask: () => Promise<void>;
  /**
   * Sends one heartbeat that is not answered; resolves once written. Without it (or without
   * `silentForMs`) every heartbeat is asked.
   */
  readonly send?: () => Promise<void>;
  /** How long since anything was last heard from the rendezvous, in ms. */
  readonly silentForMs?: () => number;
  /** The rendezvous did not answer in time (or a beat failed): drop the connection. */
  readonly onDead: (reason: Error) => void;
  /** A number in [0, 1); tests inject it. Default Math.random. */
  readonly random?: () => number;
  readonly intervalMs?: number;
  readonly replyTimeoutMs?: number;
  /** Heard nothing for this long: the next heartbeat asks. PRESENCE_HEARTBEAT.askAfterMs unless given. */
  readonly askAfterMs?: number;
}

/** The pause before the next heartbeat: `intervalMs` ± `jitter` (a fraction), drawn uniformly. */
export function heartbeatDelay(
  random: () => number,
  intervalMs: number = PRESENCE_HEARTBEAT.intervalMs,
  jitter: number = PRESENCE_HEARTBEAT.jitter,
): number {
  return Math.round(intervalMs * (1 - jitter + 2 * jitter * random()));
}

/**
 * Whether the next heartbeat must be answered: when it cannot be sent one-way, or nothing was
 * heard from the rendezvous for `askAfterMs`.
 */
export function mustAsk(silentForMs: number | undefined, askAfterMs: number): boolean {
  return silentForMs === undefined || silentForMs >= askAfterMs;
}

/** Starts the heartbeat; returns a function that stops it. */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? PRESENCE_HEARTBEAT.intervalMs;
  const replyTimeoutMs = options.replyTimeoutMs ?? PRESENCE_HEARTBEAT.replyTimeoutMs;
  const askAfterMs = options.askAfterMs ?? PRESENCE_HEARTBEAT.askAfterMs;
  const { send, silentForMs } = options;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const next = () => {
    timer = setTimeout(beat, heartbeatDelay(random, intervalMs));
  };
  const answered = async () => {
    let deadline: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        options.ask(),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(
            () => reject(new Error(`no heartbeat answer within ${replyTimeoutMs} ms`)),
            replyTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(deadline);
    }
  };
  const beat = async () => {
    try {
      if (send === undefined || mustAsk(silentForMs?.(), askAfterMs)) await answered();
      else await send();
    } catch (err: unknown) {
      if (!stopped) options.onDead(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (!stopped) next();
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
