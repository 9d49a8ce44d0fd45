/**
 * The peer's half of liveness on the presence stream (instead of libp2p's ping of every
 * connection every 4 s): a heartbeat at a jittered interval (PRESENCE_HEARTBEAT: 20 s ± 20 %),
 * so the rendezvous hears from us well within its silence limit and peers started together do
 * not beat in lockstep; a heartbeat left unanswered for replyTimeoutMs means the rendezvous is
 * gone (its TCP connection may look open for minutes), and `onDead` drops the connection.
 */
import { PRESENCE_HEARTBEAT } from "../protocol/limits.ts";

/** What the heartbeat works with. */
export interface HeartbeatOptions {
  /** Sends one heartbeat; resolves when it is answered. */
  readonly beat: () => Promise<void>;
  /** The rendezvous did not answer in time (or the beat failed): drop the connection. */
  readonly onDead: (reason: Error) => void;
  /** A number in [0, 1); tests inject it. Default Math.random. */
  readonly random?: () => number;
  readonly intervalMs?: number;
  readonly replyTimeoutMs?: number;
}

/** The pause before the next heartbeat: `intervalMs` ± `jitter` (a fraction), drawn uniformly. */
export function heartbeatDelay(
  random: () => number,
  intervalMs: number = PRESENCE_HEARTBEAT.intervalMs,
  jitter: number = PRESENCE_HEARTBEAT.jitter,
): number {
  return Math.round(intervalMs * (1 - jitter + 2 * jitter * random()));
}

/** Starts the heartbeat; returns a function that stops it. */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? PRESENCE_HEARTBEAT.intervalMs;
  const replyTimeoutMs = options.replyTimeoutMs ?? PRESENCE_HEARTBEAT.replyTimeoutMs;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const next = () => {
    timer = setTimeout(beat, heartbeatDelay(random, intervalMs));
  };
  const beat = async () => {
    let deadline: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        options.beat(),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(
            () => reject(new Error(`no heartbeat answer within ${replyTimeoutMs} ms`)),
            replyTimeoutMs,
          );
        }),
      ]);
    } catch (err: unknown) {
      if (!stopped) options.onDead(err instanceof Error ? err : new Error(String(err)));
      return;
    } finally {
      clearTimeout(deadline);
    }
    if (!stopped) next();
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
