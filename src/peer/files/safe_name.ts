/**
 * Names for received files: pure. A name from a peer is reduced to a safe base name (no
 * directories, no control characters, never "." or ".."), and a name already taken in the
 * download directory gets a suffix " (1)", " (2)" … instead of being overwritten.
 */

/** The name used when nothing usable is left of the offered one. */
export const FALLBACK_NAME = "file";
/** The longest name kept, in UTF-8 bytes (most file systems allow 255). */
export const MAX_SAFE_NAME_BYTES = 200;

const encoder = new TextEncoder();
// C0 and C1 controls, DEL, and the Unicode bidirectional overrides and isolates (which can make a
// name display as something it is not: "exe.txt" shown for "txt.exe").
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// Characters Windows forbids in names; replaced so a file can be copied anywhere.
const RESERVED = /[<>:"|?*]/g;

/**
 * The safe base name of `offered`: its last path component (either separator), without control
 * or bidi-control characters, reserved characters replaced by "_", surrounding spaces and
 * trailing dots removed, at most MAX_SAFE_NAME_BYTES; FALLBACK_NAME when that leaves nothing, or
 * only dots ("." and "..").
 */
export function safeBaseName(offered: string): string {
  const last = offered.split(/[/\\]/).at(-1) ?? "";
  let name = last.replace(UNSAFE, "").replace(RESERVED, "_").trim().replace(/[. ]+$/, "");
  if (name === "" || /^\.+$/.test(name)) return FALLBACK_NAME;
  name = truncateUtf8(name, MAX_SAFE_NAME_BYTES);
  return name === "" ? FALLBACK_NAME : name;
}

/**
 * The `n`th alternative of `name`: n = 0 is the name itself, then "stem (n).ext" ("a.tar.gz"
 * → "a (1).tar.gz"; a leading dot is not an extension).
 */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.indexOf(".", 1);
  const stem = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? "" : name.slice(dot);
  return `${stem} (${n})${ext}`;
}

/**
 * The first of `name`, "name (1)", "name (2)" … for which `taken` is false.
 * @throws RangeError when the first 10,000 are all taken.
 */
export function freeName(name: string, taken: (candidate: string) => boolean): string {
  for (let n = 0; n < 10_000; n++) {
    const candidate = numberedName(name, n);
    if (!taken(candidate)) return candidate;
  }
  throw new RangeError(`Cannot find a free name for ${name}: 10000 variants are taken`);
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (encoder.encode(text).length <= maxBytes) return text;
  const dot = text.lastIndexOf(".");
  const ext = dot > 0 && text.length - dot <= 16 ? text.slice(dot) : "";
  const stem = [...text.slice(0, text.length - ext.length)];
  while (stem.length > 0 && encoder.encode(stem.join("") + ext).length > maxBytes) stem.pop();
  return (stem.join("") + ext).trim();
}
