/**
 * The rate of forwarded deposits each federated node may make here: a token bucket per node,
 * `burst` deposits at once, refilled at `perMinute`. Pure: the caller passes the time.
 */

/** Token buckets by federated node name. */
export class RemoteRate {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number, private readonly burst: number) {}

  /** Takes one deposit for `server` at `now`; returns undefined, or ms until one is allowed. */
  take(server: string, now: number): number | undefined {
    const perMs = this.perMinute / 60_000;
    const bucket = this.#buckets.get(server) ?? { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * perMs);
    if (tokens < 1) {
      this.#buckets.set(server, { tokens, at: now });
      return Math.ceil((1 - tokens) / perMs);
    }
    this.#buckets.set(server, { tokens: tokens - 1, at: now });
    return undefined;
  }
}
