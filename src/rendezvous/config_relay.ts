/**
 * The relay's limits from the rendezvous' relay options (--relay-*, --no-relay), checked; what is
 * not given falls back to DEFAULT_RELAY_LIMITS where the relay starts.
 */
import { UsageError } from "../errors.ts";
import { parseSize } from "../units.ts";
import type { OptionName } from "./config_options.ts";
import type { RelayLimits } from "./relay.ts";

/**
 * The relay's limits from the relay options; false with no-relay.
 * @throws UsageError for a bad count or size, or limits given with no-relay.
 */
export function relayLimits(
  one: (flag: OptionName) => string | undefined,
  where: (flag: OptionName) => string,
): Partial<RelayLimits> | false {
  const count = (flag: OptionName, max: number): number | undefined => {
    const value = one(flag);
    if (value === undefined) return undefined;
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new UsageError(
        `rendezvous: ${where(flag)} must be a whole number from 1 to ${max} (got "${value}")`,
      );
    }
    return n;
  };
  const size = (flag: OptionName): number | undefined => {
    const value = one(flag);
    if (value === undefined) return undefined;
    try {
      return parseSize(value);
    } catch (err: unknown) {
      throw new UsageError(`rendezvous: ${where(flag)}: ${(err as Error).message}`);
    }
  };
  const durationS = count("relay-duration", 7 * 24 * 3600);
  const limits: Partial<RelayLimits> = Object.fromEntries(
    Object.entries({
      maxReservations: count("relay-max-reservations", 1_000_000),
      reservationsPerUser: count("relay-reservations-per-user", 1000),
      connectionDurationMs: durationS === undefined ? undefined : durationS * 1000,
      connectionDataBytes: size("relay-data"),
      bandwidthBytesPerSecond: size("relay-bandwidth"),
    }).filter(([, v]) => v !== undefined),
  );
  if (one("no-relay") === undefined) return limits;
  if (Object.keys(limits).length > 0) {
    throw new UsageError(`rendezvous: relay limits make no sense with ${where("no-relay")}`);
  }
  return false;
}
