// deno-lint-ignore-file no-console
/**
 * `deno task bench`: measures the rendezvous against raw libp2p baselines taken in the same run
 * and prints a table. Flags: see BENCH_USAGE in args.ts.
 */
import { UsageError } from "../src/errors.ts";
import { configureLogging } from "../src/log.ts";
import { BENCH_USAGE, parseBenchArgs } from "./args.ts";
import { formatReport } from "./report.ts";
import { runBench } from "./run.ts";

async function main(args: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseBenchArgs(args);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${BENCH_USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  configureLogging("warn");
  const start = performance.now();
  try {
    const sections = await runBench(options, (step) => console.error(`… ${step}`));
    console.log(formatReport(sections));
  } catch (err: unknown) {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    console.log(`total wall time: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  return 0;
}

if (import.meta.main) {
  // Exit explicitly: stopped libp2p TCP listeners can keep Deno's event loop alive.
  Deno.exit(await main(Deno.args));
}
