/**
 * The counters the rendezvous protocols keep for the operator: one object injected into every
 * protocol, read by /metrics, /api/stats and the dashboard's live stream. It counts events and
 * names who logged in from where; it never holds a message, a key or a password.
 */

/** Every counter, with its Prometheus help text. */
export const COUNTERS = {
  logins_ok: "Logins that succeeded",
  logins_failed: "Logins refused for a wrong username or password",
  logins_throttled: "Logins refused because of too many failures",
  logins_disabled: "Logins refused because the operator disabled the account",
  registrations: "Accounts registered",
  rendezvous_registrations: "Rendezvous REGISTER requests accepted",
  rendezvous_discovers: "Rendezvous DISCOVER requests answered",
  directory_lookups: "Directory lookups answered",
  mailbox_deposits: "Envelopes deposited in a mailbox",
  mailbox_fetches: "Mailbox fetches answered",
  federation_refused:
    "Federation requests refused: the caller is not listed, or not with its PeerId",
  federation_invalid: "Federated nodes' answers that did not verify (certificate, key log, keys)",
  federation_lookups: "Lookups of local users answered for federated nodes",
  federation_mail_forwarded: "Envelopes forwarded to a federated node and accepted there",
  federation_mail_received: "Envelopes a federated node forwarded into a mailbox here",
  federation_quota_refusals: "Envelopes from a federated node refused by its rate or quota here",
} as const;

/** A counter's name. */
export type CounterName = keyof typeof COUNTERS;

/** One counted event, with who and from where when it is about a login. */
export interface Activity {
  readonly counter: CounterName;
  readonly at: number;
  readonly username?: string;
  readonly address?: string;
}

/** The counters and the presence subscribers gauge of one rendezvous. */
export class Metrics {
  readonly #counts = new Map<CounterName, number>();
  readonly #listeners = new Set<(activity: Activity) => void>();
  #presenceSubscribers = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one `counter` event; `who` names the user and address of a login or registration. */
  count(counter: CounterName, who: { username?: string; address?: string } = {}): void {
    this.#counts.set(counter, (this.#counts.get(counter) ?? 0) + 1);
    const activity: Activity = { counter, at: this.now(), ...who };
    for (const listener of this.#listeners) listener(activity);
  }

  /** The value of `counter`. */
  value(counter: CounterName): number {
    return this.#counts.get(counter) ?? 0;
  }

  /** A presence stream opened (+1) or closed (-1). */
  presenceSubscribers(change: 1 | -1): void {
    this.#presenceSubscribers += change;
  }

  /** Presence streams open now. */
  get presenceSubscriberCount(): number {
    return this.#presenceSubscribers;
  }

  /** Calls `listener` on every counted event; returns a function that stops it. */
  subscribe(listener: (activity: Activity) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
