/** Argument parsing shared by the commands: node:util parseArgs with usage errors. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `args` without a leading `--`: `deno task rendezvous -- --listen …` passes it on, and every
 * command's parse drops it.
 */
export function withoutLeadingDashes(args: readonly string[]): string[] {
  return args[0] === "--" ? args.slice(1) : [...args];
}

/**
 * Parses `args` strictly against `options` (plus --help); a leading `--` is dropped.
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
      args: withoutLeadingDashes(args),
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals,
      strict: true,
    });
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${command}: ${message}`);
  }
}
