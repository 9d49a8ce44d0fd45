/**
 * The rules of an away text (/away gone fishing): at most MAX_AWAY_CHARS characters, no control
 * characters (it is shown on other users' terminals). Both roles check it: the peer before it
 * sends, the rendezvous before it stores and forwards.
 */
import { MAX_AWAY_CHARS } from "./limits.ts";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * Returns `text` trimmed, when it is a valid away text ("" clears the away state).
 * @throws RangeError saying which rule it breaks.
 */
export function checkAwayText(text: string): string {
  const trimmed = text.trim();
  const chars = [...trimmed].length;
  if (chars > MAX_AWAY_CHARS) {
    throw new RangeError(
      `Away text too long: ${chars} characters, at most ${MAX_AWAY_CHARS}`,
    );
  }
  if (CONTROL.test(trimmed)) {
    throw new RangeError("Away text refused: it contains control characters");
  }
  return trimmed;
}
