import assert from "node:assert/strict";
import { benchScale } from "../../bench/scale.ts";

Deno.test({
  name: "the scale bench runs its stages with peers in two worker processes, and stops them all",
  sanitizeResources: false,
  fn: async () => {
    const result = await benchScale({
      peers: 8,
      processes: 2,
      watchers: 4,
      rounds: 1,
      restSeconds: 0.2,
      joinStep: 4,
      settleMs: 50,
    });
    assert.equal(result.peers, 8);
    assert.deepEqual(result.joins.map((s) => s.upTo), [4, 8]);
    assert.deepEqual(result.stages.map((s) => s.peers), [0, 8, 8, 8, result.subscribers]);
    assert.equal(result.costs.length, 4);
    assert.equal(result.raw.length, 1);
    assert.ok(result.rawRestCpuPercent >= 0, "the raw node's CPU at rest is measured");
    assert.equal(result.missed, 0);
    assert.equal(result.deadHeartbeats, 0);
    assert.deepEqual(
      result.stageCpu.map((c) => c.stage.split(" ")[0]),
      ["connect", "register", "log", "REGISTER", "presence"],
    );
    for (const c of result.stageCpu) assert.ok(c.msPerPeer > 0, `${c.stage}: ${c.msPerPeer} ms`);
    assert.equal(result.online?.samples, 4);
    assert.equal(result.offline?.samples, 4);
    assert.equal(result.pids.length, 4);
    for (const pid of result.pids) {
      const status = await Deno.stat(`/proc/${pid}`).then(() => "running", () => "gone");
      assert.equal(status, "gone", `process ${pid} is still running`);
    }
  },
});
