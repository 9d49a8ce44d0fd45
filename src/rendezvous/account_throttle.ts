/**
 * Which failures hold back which account attempts: the throttle policy of /tincan/account/1.0.0,
 * after NIST SP 800-63B §5.2.2 (limit failed attempts without letting an attacker lock the real
 * user out). Pure: the caller passes the address and the time; throttle.ts does the counting.
 *
 * Logins count under three keys:
 * - the pair (username, address): PAIR_FREE_FAILURES, then exponential backoff. This is what
 *   stops one address guessing one user's password.
 * - the address, across usernames: ADDRESS_FREE_FAILURES (an address guessing many users).
 * - the username, across addresses: USER_FREE_FAILURES, where each address counts at most
 *   PAIR_FREE_FAILURES (so one address cannot use it up). Once over, it holds back only the
 *   addresses that have failed for this user: from an address that has not, the user always
 *   gets through, however many other addresses fail.
 *
 * A login the client abandons after the server's OPAQUE answer (it stalls, closes, or sends junk)
 * still cost a guess: OPAQUE's KE2 lets the client test its password without finishing. It
 * counts for the pair and the address, never for the username, so stalled logins hold back only
 * the address that stalls them. In-flight attempts count for the pair and the address only.
 *
 * Registrations that learn whether a name exists (the name is taken, or the client abandons
 * after the server's answer) count per address: REGISTRATION_FREE_PROBES, then backoff. A
 * completed registration does not count.
 *
 * An IPv6 address counts by its /64 (one host usually holds the whole /64), an IPv4 address
 * (also one mapped into IPv6) by itself.
 */
import { IpNet, iPv4FromIPv6, isIPv4mappedIPv6 } from "@chainsafe/netmask";
import { LoginThrottle } from "./throttle.ts";

/** Failures one address may have against one username before it waits. */
export const PAIR_FREE_FAILURES = 5;
/** Failures one address may have across all usernames before it waits. */
export const ADDRESS_FREE_FAILURES = 20;
/** Failures one username may have across addresses before the addresses that failed wait. */
export const USER_FREE_FAILURES = 10;
/** Registrations that tell an address whether a name exists, before it waits. */
export const REGISTRATION_FREE_PROBES = 10;

/** How a login attempt ended. */
export type LoginOutcome =
  /** The password was right. */
  | "succeeded"
  /** LOGIN_FINISH did not verify, or the client sent LOGIN_ABORT (its password was wrong). */
  | "failed"
  /** The server gave its OPAQUE answer and the client never finished. */
  | "abandoned"
  /** Refused before the server's OPAQUE answer (a malformed request): no guess was made. */
  | "void";

/** How a registration attempt ended. */
export type RegistrationOutcome =
  /** The account was created. */
  | "registered"
  /** The client learnt whether the name exists and made no account. */
  | "probed"
  /** Refused before the server said anything about the name. */
  | "void";

/** A login that may go ahead; pass it to `endLogin`. */
export interface LoginAttempt {
  readonly pair: string;
  readonly address: string;
  readonly username: string;
}

/** A blocked throttle key, for the operator: its failures and when it is free again. */
export interface BlockedKey {
  readonly key: string;
  readonly failures: number;
  readonly until: number;
}

/** Between the username and the address in a pair's key (neither can hold it). */
const PAIR_SEPARATOR = "\u0000";

/** A refusal: retry at `retryAt` (ms since the Unix epoch). */
export interface Throttled {
  readonly retryAt: number;
}

/** The throttles of logins and registrations, by the policy above. */
export class AccountThrottle {
  readonly #pairs = new LoginThrottle(PAIR_FREE_FAILURES);
  readonly #addresses = new LoginThrottle(ADDRESS_FREE_FAILURES);
  readonly #users = new LoginThrottle(USER_FREE_FAILURES);
  readonly #registrations = new LoginThrottle(REGISTRATION_FREE_PROBES);

  /**
   * Begins a login as `username` from `ip`: the attempt to pass to `endLogin`, or when it must
   * wait.
   */
  beginLogin(username: string, ip: string, now: number): LoginAttempt | Throttled {
    const address = addressBlock(ip);
    const attempt = { pair: `${username}${PAIR_SEPARATOR}${address}`, address, username };
    if (this.#pairs.failures(attempt.pair, now) > 0) {
      const until = this.#users.blockedUntil([username], now);
      if (until !== undefined) return { retryAt: until };
    }
    const pairRefused = this.#pairs.begin([attempt.pair], now);
    if (pairRefused !== undefined) return { retryAt: pairRefused };
    const addressRefused = this.#addresses.begin([address], now);
    if (addressRefused !== undefined) {
      this.#pairs.finish([attempt.pair]);
      return { retryAt: addressRefused };
    }
    return attempt;
  }

  /** Ends an attempt `beginLogin` let go ahead, counting its outcome. */
  endLogin(attempt: LoginAttempt, outcome: LoginOutcome, now: number): void {
    this.#pairs.finish([attempt.pair]);
    this.#addresses.finish([attempt.address]);
    if (outcome === "void") return;
    if (outcome === "succeeded") return this.#pairs.recordSuccess([attempt.pair]);
    const countsForUser = outcome === "failed" &&
      this.#pairs.failures(attempt.pair, now) < PAIR_FREE_FAILURES;
    this.#pairs.recordFailure([attempt.pair], now);
    this.#addresses.recordFailure([attempt.address], now);
    if (countsForUser) this.#users.recordFailure([attempt.username], now);
  }

  /** Begins a registration from `ip`: undefined when it may go ahead, else when to retry. */
  beginRegistration(ip: string, now: number): Throttled | undefined {
    const refused = this.#registrations.begin([addressBlock(ip)], now);
    return refused === undefined ? undefined : { retryAt: refused };
  }

  /** Ends a registration `beginRegistration` let go ahead, counting a probe. */
  endRegistration(ip: string, outcome: RegistrationOutcome, now: number): void {
    const address = addressBlock(ip);
    this.#registrations.finish([address]);
    if (outcome === "probed") this.#registrations.recordFailure([address], now);
  }

  // Operator hooks (the dashboard lists and clears throttles).
  /**
   * What is blocked at `now`, at most `limit` entries, keyed for people: `pair:NAME@ADDRESS`
   * (one address against one user), `addr:ADDRESS` (logins from an address), `user:NAME` (a
   * user's failures across addresses) and `register:ADDRESS` (registration probes).
   */
  blocked(now: number, limit: number): BlockedKey[] {
    const out: BlockedKey[] = [];
    for (const [kind, throttle] of this.#byKind()) {
      for (const entry of throttle.blocked(now, limit - out.length)) {
        out.push({ ...entry, key: `${kind}:${entry.key.replace(PAIR_SEPARATOR, "@")}` });
      }
    }
    return out;
  }

  /** Forgets the failures under a key `blocked` listed; returns whether there were any. */
  clear(key: string): boolean {
    const colon = key.indexOf(":");
    const kind = key.slice(0, colon);
    const name = key.slice(colon + 1);
    const throttle = colon > 0 ? this.#byKind().find(([k]) => k === kind)?.[1] : undefined;
    if (throttle === undefined) return false;
    return throttle.clear(kind === "pair" ? name.replace("@", PAIR_SEPARATOR) : name);
  }

  #byKind(): [string, LoginThrottle][] {
    return [
      ["pair", this.#pairs],
      ["addr", this.#addresses],
      ["user", this.#users],
      ["register", this.#registrations],
    ];
  }

  /** Keys tracked in all (for tests and metrics). */
  get size(): number {
    return this.#pairs.size + this.#addresses.size + this.#users.size + this.#registrations.size;
  }
}

/** Whether `attempt` is a login that may go ahead (not a refusal). */
export function isAttempt(attempt: LoginAttempt | Throttled): attempt is LoginAttempt {
  return "pair" in attempt;
}

/**
 * The throttle key of an IP address: an IPv4 address itself, an IPv6 address its /64
 * (`2001:0db8:0000:0000:0000:0000:0000:0000/64`), an IPv4-mapped IPv6 address its IPv4 address.
 * Anything else (no address known) is one shared key.
 */
export function addressBlock(ip: string): string {
  if (!ip.includes(":")) return ip;
  let full: IpNet;
  try {
    full = new IpNet(ip, 128);
  } catch {
    return ip;
  }
  if (isIPv4mappedIPv6(full.network)) return iPv4FromIPv6(full.network).join(".");
  return new IpNet(ip, 64).toString();
}
