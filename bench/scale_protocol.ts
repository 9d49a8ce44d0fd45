/**
 * What the scale bench (scale.ts) and its client processes (scale_worker_process.ts) say to each
 * other: one JSON command a line to the worker, one JSON reply a line back.
 */

/** A command to a scale worker; each is answered by the reply whose `done` is its `do`. */
export type ScaleCommand =
  /** Dial `to` from every peer (no protocol): a raw libp2p connection. */
  | { readonly do: "connect"; readonly to: string }
  /** Close every peer's connections to `to` (and stop its echo heartbeat). */
  | { readonly do: "hangup"; readonly to: string }
  /**
   * Open an echo stream from every peer to `to` (a plain libp2p node) and make one echo round
   * trip on it on the presence heartbeat's schedule: the raw baseline of the CPU at rest.
   */
  | { readonly do: "echo"; readonly to: string }
  /** Register every peer's account at the rendezvous `to` (OPAQUE registration). */
  | { readonly do: "account"; readonly to: string }
  /** Log every peer in at the rendezvous `to` (its account registered before). */
  | { readonly do: "login"; readonly to: string }
  /** Open every peer's rendezvous-protocol stream and REGISTER its signed peer record. */
  | { readonly do: "register"; readonly to: string }
  /**
   * Subscribe the first `subscribers` peers to presence; the first `watchers` of them follow
   * `user` (the contacts of the user whose presence latency is measured).
   */
  | {
    readonly do: "presence";
    readonly to: string;
    readonly subscribers: number;
    readonly watchers: number;
    readonly user: string;
  }
  /** From now on, each of the first `watchers` peers notes when it hears `user` go on/offline. */
  | {
    readonly do: "arm";
    readonly watchers: number;
    readonly user: string;
    readonly online: boolean;
  }
  /** Answer with the times the armed watchers heard it, waiting at most `timeoutMs`. */
  | { readonly do: "collect"; readonly watchers: number; readonly timeoutMs: number }
  /** Answer with the worker's own Deno.memoryUsage(). */
  | { readonly do: "memory" };

/** A scale worker's answer. */
export type ScaleReply =
  | { readonly done: "start"; readonly count: number }
  | { readonly done: "hangup" | "arm" | "echo" }
  /** Steps that failed (timed out, or found the peer's connection dropped) and were tried again. */
  | { readonly done: "connect" | "account" | "register" | "presence"; readonly retries: number }
  /** The wall-clock time (wallClockMs) each login completed; attempts that failed and were retried. */
  | { readonly done: "login"; readonly joinedAt: readonly number[]; readonly retries: number }
  /**
   * The wall-clock times the watchers that heard the change heard it (the rest timed out); how
   * many of the worker's subscriptions had lost their heartbeat by then.
   */
  | { readonly done: "collect"; readonly seenAt: readonly number[]; readonly dead: number }
  | { readonly done: "memory"; readonly usage: Deno.MemoryUsage }
  | { readonly done: "error"; readonly message: string };

/** Milliseconds since the Unix epoch with sub-millisecond precision: comparable across processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Environment variable: when set, the bench's rendezvous process logs at `info` (its "presence
 * subscriber … silent" drops, logins, logouts) and every scale worker writes to stderr, every
 * 10 s, how many of its presence heartbeats went unanswered: which side drops a connection.
 */
export const SCALE_TRACE_ENV = "TINCAN_BENCH_TRACE";
