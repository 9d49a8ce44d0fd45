import assert from "node:assert/strict";
import { heapDifference, type HeapSnapshot, tallyHeapSnapshot } from "../../bench/heap_tally.ts";

/** A snapshot in V8's layout: nodes are flat [type, name, self_size] triples. */
function snapshot(nodes: readonly (readonly [string, string, number])[]): HeapSnapshot {
  const types = ["hidden", "array", "string", "object", "closure"];
  const strings: string[] = [];
  const flat = nodes.flatMap(([type, name, size]) => {
    strings.push(name);
    return [types.indexOf(type), strings.length - 1, size];
  });
  return {
    snapshot: { meta: { node_fields: ["type", "name", "self_size"], node_types: [types] } },
    nodes: flat,
    strings,
  };
}

Deno.test("tallyHeapSnapshot sums objects by constructor and the rest by type", () => {
  const tally = tallyHeapSnapshot(snapshot([
    ["object", "YamuxStream", 120],
    ["object", "YamuxStream", 120],
    ["array", "", 64],
    ["closure", "onAbort", 32],
    ["array", "", 16],
  ]));
  assert.deepEqual(Object.fromEntries(tally), {
    "object:YamuxStream": { bytes: 240, count: 2 },
    "(array)": { bytes: 80, count: 2 },
    "closure:onAbort": { bytes: 32, count: 1 },
  });
});

Deno.test("heapDifference gives what the second snapshot added, kinds that shrank negative", () => {
  const before = tallyHeapSnapshot(snapshot([["object", "A", 10], ["object", "B", 5]]));
  const after = tallyHeapSnapshot(snapshot([["object", "A", 10], ["object", "A", 10]]));
  assert.deepEqual(Object.fromEntries(heapDifference(before, after)), {
    "object:A": { bytes: 10, count: 1 },
    "object:B": { bytes: -5, count: -1 },
  });
});

Deno.test("tallyHeapSnapshot refuses a snapshot without the fields it reads", () => {
  const bad: HeapSnapshot = {
    ...snapshot([]),
    snapshot: { meta: { node_fields: ["id"], node_types: [[]] } },
  };
  assert.throws(() => tallyHeapSnapshot(bad), TypeError);
});
