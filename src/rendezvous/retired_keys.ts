/**
 * The rule for binding a retired identity key: a key an account moved away from (a new device,
 * or the old one stolen) is not bound to any other account until RETIRED_KEY_COOLING_OFF_MS
 * after it was retired. Otherwise a thief could register a throw-away account on alice's old key
 * right after she moved, and message her contacts with the key they still have pinned as hers.
 * The account it left may take it back (its owner knows the password; peers decide, from the key
 * log, whether they accept it). Pure: the caller passes the retirements and the time.
 */
import type { RetiredKey } from "./store/retired_keys.ts";

/** How long a retired key stays unbindable to other accounts. */
export const RETIRED_KEY_COOLING_OFF_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Why the key with these `retirements` cannot be bound to `username` at `now`, or undefined when
 * it can.
 */
export function retiredKeyRefusal(
  retirements: readonly RetiredKey[],
  username: string,
  now: number,
  coolingOffMs = RETIRED_KEY_COOLING_OFF_MS,
): string | undefined {
  const blocking = retirements
    .filter((r) => r.username !== username && now < r.retiredAt + coolingOffMs)
    .sort((a, b) => b.retiredAt - a.retiredAt)[0];
  if (blocking === undefined) return undefined;
  const until = new Date(blocking.retiredAt + coolingOffMs).toISOString();
  return `This identity key was retired from another account on ${
    new Date(blocking.retiredAt).toISOString()
  }; it cannot be bound to a new account before ${until}. Create a new identity`;
}
