// deno-lint-ignore-file no-console
/**
 * Summarizes V8 heap snapshots (.heapsnapshot, as the bench's server processes write them on a
 * "snapshot" command): the self size and count of objects by constructor name, largest first; with
 * two snapshots, what the second added, divided by `--per N` (e.g. KiB per connection).
 * Usage: deno run --allow-read bench/heap_summary.ts [--per N] [--top K] BEFORE [AFTER]
 */
import { parseArgs } from "node:util";
import { heapDifference, type HeapTally, tallyHeapSnapshot } from "./heap_tally.ts";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { per: { type: "string", default: "1" }, top: { type: "string", default: "30" } },
    allowPositionals: true,
  });
  const [first, second] = positionals;
  if (first === undefined) throw new TypeError("heap_summary.ts needs a .heapsnapshot file");
  const read = async (path: string): Promise<HeapTally> =>
    tallyHeapSnapshot(JSON.parse(await Deno.readTextFile(path)));
  const before = await read(first);
  const tally = second === undefined ? before : heapDifference(before, await read(second));
  const per = Number(values.per);
  const rows = [...tally.entries()].sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, Number(values.top));
  const total = [...tally.values()].reduce((sum, t) => sum + t.bytes, 0);
  console.log(`total ${(total / 1024 / per).toFixed(2)} KiB${per === 1 ? "" : ` per ${per}`}`);
  for (const [name, t] of rows) {
    console.log(
      `${(t.bytes / 1024 / per).toFixed(2).padStart(10)} KiB ${
        (t.count / per).toFixed(1).padStart(8)
      } objects  ${name}`,
    );
  }
}

if (import.meta.main) await main();
