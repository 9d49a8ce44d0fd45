/**
 * Names why a single-file tincan failed, from its stderr: the permission it lacked or the import
 * that reached outside the bundle. Pure, so the smoke scenario and its test share it.
 */

/** Colour codes, in case the child was not told NO_COLOR. */
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

const CAUSES: readonly { pattern: RegExp; explain: (m: RegExpMatchArray) => string }[] = [
  {
    pattern: /Requires (\w+) access to ("[^"]*"|[^,\n]+), run again with the (--allow-[\w-]+) flag/,
    explain: (m) => `missing permission ${m[3]} (${m[1]} access to ${m[2]})`,
  },
  {
    pattern: /npm package not found in cache: "([^"]+)"/,
    explain: (m) => `import outside the bundle: the npm package "${m[1]}" is not inlined`,
  },
  {
    pattern: /Specifier not found in cache: "([^"]+)"/,
    explain: (m) => `import outside the bundle: ${m[1]} is not inlined`,
  },
  {
    pattern: /Module not found "([^"]+)"/,
    explain: (m) => `import outside the bundle: ${m[1]} (a file beside the bundle, not in it)`,
  },
];

/** Every missing permission and offending import named in `stderr`, once each, in order. */
export function diagnose(stderr: string): string[] {
  const plain = stderr.replace(ANSI, "");
  const found: string[] = [];
  for (const line of plain.split("\n")) {
    for (const { pattern, explain } of CAUSES) {
      const match = line.match(pattern);
      if (match !== null && !found.includes(explain(match))) found.push(explain(match));
    }
  }
  return found;
}
