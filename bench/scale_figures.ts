/**
 * The scale bench's arithmetic, pure: memory per peer between stages, and the join rate per step
 * of peers as the rendezvous fills.
 */

/** A process's memory at one stage, after a full GC: RSS from /proc, the rest from V8. */
export interface StageMemory {
  readonly stage: string;
  /** Peers the difference to the previous stage is divided by. */
  readonly peers: number;
  readonly rssKiB: number;
  /** Deno.memoryUsage() after the GC, in bytes. */
  readonly heapUsed: number;
  readonly external: number;
}

/** What one stage added per peer, in KiB. */
export interface StageCost {
  readonly stage: string;
  readonly rssKiB: number;
  readonly heapKiB: number;
  readonly externalKiB: number;
}

/**
 * What each stage after the first added per peer: the difference to the stage before it divided by
 * that stage's peers.
 * @throws RangeError when a stage after the first counts no peers.
 */
export function stageCosts(stages: readonly StageMemory[]): StageCost[] {
  return stages.slice(1).map((s, i) => {
    const before = stages[i]!;
    if (s.peers <= 0) throw new RangeError(`Stage ${s.stage} has no peers to divide by`);
    return {
      stage: s.stage,
      rssKiB: (s.rssKiB - before.rssKiB) / s.peers,
      heapKiB: (s.heapUsed - before.heapUsed) / 1024 / s.peers,
      externalKiB: (s.external - before.external) / 1024 / s.peers,
    };
  });
}

/** The join rate over one step of peers: the `upTo`-th joined at `perSecond` from the step before. */
export interface JoinStep {
  readonly upTo: number;
  readonly perSecond: number;
}

/**
 * The join rate per `step` peers: `joinedAt` are the times (ms) the logins completed, in any order,
 * `start` when the first began. A last partial step is included.
 * @throws RangeError when `step` is not a positive whole number.
 */
export function joinSteps(joinedAt: readonly number[], start: number, step: number): JoinStep[] {
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`A join step of ${step} peers`);
  const sorted = [...joinedAt].sort((a, b) => a - b);
  const steps: JoinStep[] = [];
  let from = start;
  for (let end = step; end - step < sorted.length; end += step) {
    const upTo = Math.min(end, sorted.length);
    const at = sorted[upTo - 1]!;
    const peers = upTo - (end - step);
    steps.push({ upTo, perSecond: at > from ? peers / ((at - from) / 1000) : Infinity });
    from = at;
  }
  return steps;
}
