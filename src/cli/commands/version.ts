/** `tincan version` (also `tincan --version`, `-V`): what this build is and which protocols it speaks. */
import { PROTOCOL } from "../../protocol/ids.ts";
import { VERSION } from "../../version.ts";
import type { Command } from "../command.ts";
import { EXIT } from "../io.ts";
import { parseFlags } from "../parse.ts";

/** `tincan version --help`. */
export const VERSION_HELP = `Usage: tincan version   (or tincan --version, tincan -V)

Prints the tincan version, the Deno it runs on, and the protocol ids it speaks (two builds
talk to each other when they share these ids).

Options:
  -h, --help  show this help`;

/** The lines of `tincan version`, for a Deno of version `deno`: pure. */
export function versionLines(deno: string): string[] {
  const width = Math.max(...Object.keys(PROTOCOL).map((name) => name.length)) + 2;
  return [
    `tincan ${VERSION}`,
    `deno ${deno}`,
    "protocols:",
    ...Object.entries(PROTOCOL).map(([name, id]) => `  ${name.padEnd(width)}${id}`),
  ];
}

/** `tincan version`. */
export const version: Command<Record<never, never>> = {
  name: "version",
  summary: "show the version, the Deno version and the protocol ids",
  help: VERSION_HELP,
  parse(args) {
    return parseFlags("version", args, {}).values.help ? { help: true } : { help: false };
  },
  run(_args, { io }) {
    for (const line of versionLines(Deno.version.deno)) io.out(line);
    return Promise.resolve(EXIT.ok);
  },
};
