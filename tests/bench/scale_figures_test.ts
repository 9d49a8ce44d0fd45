import assert from "node:assert/strict";
import { joinSteps, stageCosts } from "../../bench/scale_figures.ts";

Deno.test("stageCosts divides what each stage added by that stage's peers", () => {
  const costs = stageCosts([
    { stage: "idle", peers: 0, rssKiB: 1000, heapUsed: 1024 * 100, external: 0 },
    { stage: "connected", peers: 10, rssKiB: 1500, heapUsed: 1024 * 300, external: 1024 * 10 },
    { stage: "subscribed", peers: 5, rssKiB: 1600, heapUsed: 1024 * 350, external: 1024 * 10 },
  ]);
  assert.deepEqual(costs, [
    { stage: "connected", rssKiB: 50, heapKiB: 20, externalKiB: 1 },
    { stage: "subscribed", rssKiB: 20, heapKiB: 10, externalKiB: 0 },
  ]);
});

Deno.test("stageCosts refuses a stage without peers to divide by", () => {
  assert.throws(
    () =>
      stageCosts([
        { stage: "idle", peers: 0, rssKiB: 1, heapUsed: 0, external: 0 },
        { stage: "empty", peers: 0, rssKiB: 2, heapUsed: 0, external: 0 },
      ]),
    RangeError,
  );
});

Deno.test("joinSteps gives the rate of each step of peers, the last one partial", () => {
  // 5 joins, out of order: 2 in the first second, 2 in the next 4 seconds, 1 after 5 more.
  const steps = joinSteps([1000, 5000, 500, 3000, 10_000], 0, 2);
  assert.deepEqual(steps, [
    { upTo: 2, perSecond: 2 },
    { upTo: 4, perSecond: 0.5 },
    { upTo: 5, perSecond: 0.2 },
  ]);
});

Deno.test("joinSteps of no joins is empty, and a step must be a positive whole number", () => {
  assert.deepEqual(joinSteps([], 0, 1000), []);
  assert.throws(() => joinSteps([1], 0, 0), RangeError);
  assert.throws(() => joinSteps([1], 0, 1.5), RangeError);
});
