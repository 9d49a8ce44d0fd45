/** Argument parsing shared by the commands: node:util parseArgs with usage errors. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `args` strictly against `options` (plus --help). A leading `--` is dropped: `deno task
 * rendezvous -- --listen …` passes it on.
 * @throws UsageError for unknown flags, missing values and unexpected positionals.
 */
export function parseFlags<O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: args[0] === "--" ? args.slice(1) : [...args],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals,
      strict: true,
    });
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${command}: ${message}`);
  }
}
