/**
 * Username rules: 3 to 32 characters of [a-z0-9_-], case-folded, so "Alice" and "alice" are one
 * account.
 */

const USERNAME = /^[a-z0-9_-]{3,32}$/;

/**
 * Returns the canonical (case-folded) form of `input`.
 * @throws RangeError saying which rule the name breaks.
 */
export function normalizeUsername(input: string): string {
  const folded = input.toLowerCase();
  if (USERNAME.test(folded)) return folded;
  if (folded.length < 3 || folded.length > 32) {
    throw new RangeError(
      `Invalid username "${printable(input)}": it must be 3 to 32 characters long`,
    );
  }
  throw new RangeError(
    `Invalid username "${printable(input)}": use only letters a-z, digits, "_" and "-"`,
  );
}

function printable(input: string): string {
  // deno-lint-ignore no-control-regex
  return input.slice(0, 40).replace(/[\u0000-\u001f\u007f]/g, "?");
}
