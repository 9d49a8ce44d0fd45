/**
 * The rest benches' heartbeats: many connections, each beating on its own at the presence
 * heartbeat's jittered interval (presence_heartbeat.ts), counted, and restartable at another
 * interval — for the rendezvous's presence streams and for the raw baseline's echo streams alike,
 * so both are measured with the same schedule.
 */
import { startHeartbeat } from "../src/peer/presence_heartbeat.ts";
import { PRESENCE_HEARTBEAT } from "../src/protocol/limits.ts";
import { cpuPercentOver } from "./measure.ts";
import type { ServerProcess } from "./server_process.ts";

/** How one connection beats: one heartbeat, resolved when it is answered. */
export interface Beats {
  readonly ask: () => Promise<void>;
}

/** Bytes of each raw baseline heartbeat (an echo round trip) and of its echo: a HEARTBEAT's size. */
export const RAW_HEARTBEAT_BYTES = 4;

interface Member {
  readonly beats: Beats;
  readonly onDead: (reason: Error) => void;
  stop?: () => void;
}

/** The server's CPU use over a window and the heartbeats sent in it. */
export interface BeatWindow {
  /** % of one core. */
  readonly cpuPercent: number;
  readonly heartbeatsPerSecond: number;
}

/** Connections beating at one interval (each with its own jitter), their beats counted. */
export class Heartbeats {
  readonly #members: Member[] = [];
  #intervalMs: number = PRESENCE_HEARTBEAT.intervalMs;
  /** Heartbeats sent so far. */
  sent = 0;

  /** Adds a connection, beating from now on at the current interval; `onDead` hears it stop. */
  add(beats: Beats, onDead: (reason: Error) => void): void {
    const member: Member = { beats, onDead };
    this.#members.push(member);
    this.#start(member);
  }

  /** Stops every heartbeat (until `restart`). */
  stop(): void {
    for (const member of this.#members) member.stop?.();
  }

  /** One heartbeat from every connection now, answered (the heartbeats' timers untouched). */
  async beatOnce(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.beats.ask()));
  }

  /**
   * Stops every heartbeat, has each connection beat once now, and starts them again every
   * `intervalMs`: without the beat between, the pause across the change (the last beat at the
   * old interval's longest, the first at the new one's) could pass the server's silence limit.
   */
  async restart(intervalMs: number = PRESENCE_HEARTBEAT.intervalMs): Promise<void> {
    this.stop();
    await this.beatOnce();
    this.#intervalMs = intervalMs;
    for (const member of this.#members) this.#start(member);
  }

  /** `server`'s CPU use over `ms` and the heartbeats sent meanwhile. */
  async window(server: ServerProcess, ms: number): Promise<BeatWindow> {
    const before = this.sent;
    const cpuPercent = await cpuPercentOver(server, ms);
    return { cpuPercent, heartbeatsPerSecond: (this.sent - before) / (ms / 1000) };
  }

  /**
   * `window(server, ms)` with every connection beating `factor` times as often (after one such
   * interval and `settleMs`), then back at the usual interval.
   */
  async faster(
    server: ServerProcess,
    ms: number,
    factor: number,
    settleMs: number,
  ): Promise<BeatWindow> {
    const fast = PRESENCE_HEARTBEAT.intervalMs / factor;
    await this.restart(fast);
    await new Promise((resolve) => setTimeout(resolve, fast + settleMs));
    try {
      return await this.window(server, ms);
    } finally {
      await this.restart();
    }
  }

  #start(member: Member): void {
    const { ask } = member.beats;
    member.stop = startHeartbeat({
      intervalMs: this.#intervalMs,
      beat: () => {
        this.sent++;
        return ask();
      },
      onDead: member.onDead,
    });
  }
}

/**
 * The server CPU of one heartbeat: the slope of its CPU use from `rest` to `fast`, so what does
 * not grow with the heartbeats (being connected, GC of the process itself) is not in it. In ms.
 */
export function perHeartbeatMs(rest: BeatWindow, fast: BeatWindow): number {
  return (fast.cpuPercent - rest.cpuPercent) * 10 /
    (fast.heartbeatsPerSecond - rest.heartbeatsPerSecond);
}
