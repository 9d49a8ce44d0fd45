/**
 * Recently resolved recipients of outgoing messages (key, addresses), reused for RESOLVE_TTL_MS
 * while their key stays trusted, so that a conversation asks the directory once a minute at most.
 */
import { RemoteError } from "../../errors.ts";
import type { ResolvedUser } from "../directory.ts";
import { isAccepted } from "../trust.ts";
import type { RecipientResolver } from "./outgoing_ports.ts";

/** How long a resolved recipient (key, addresses) is reused before asking the rendezvous again. */
export const RESOLVE_TTL_MS = 60_000;

/** The recipients resolved lately, and when. */
export class RecipientCache {
  readonly #resolved = new Map<string, { user: ResolvedUser; at: number }>();

  constructor(private readonly resolver: RecipientResolver, private readonly now: () => number) {}

  /**
   * `to` from the directory, reused for RESOLVE_TTL_MS while its key stays trusted. When `to`'s
   * home node cannot be reached (E_REMOTE_UNAVAILABLE), the key verified last time is used with
   * no addresses: the message is mailed, and our home holds it for that node ("queued for work");
   * should the key have changed there meanwhile, that node refuses it and the message fails.
   * @throws as RecipientResolver.resolve does.
   */
  async resolve(to: string): Promise<ResolvedUser> {
    const cached = this.#resolved.get(to);
    if (cached && this.now() - cached.at < RESOLVE_TTL_MS) return cached.user;
    let user: ResolvedUser;
    try {
      user = await this.resolver.resolve(to, this.now());
    } catch (err: unknown) {
      const unreachable = err instanceof RemoteError && err.status === "E_REMOTE_UNAVAILABLE";
      if (unreachable && cached !== undefined) return { ...cached.user, addresses: [] };
      throw err;
    }
    if (isAccepted(user.standing)) {
      this.#resolved.set(to, { user: { ...user, standing: "trusted" }, at: this.now() });
    } else {
      this.#resolved.delete(to);
    }
    return user;
  }

  /**
   * The next resolve of `to` asks the directory again; what was known is kept only to mail `to`
   * while its home node cannot be reached.
   */
  forget(to: string): void {
    const known = this.#resolved.get(to);
    if (known !== undefined) this.#resolved.set(to, { user: known.user, at: -Infinity });
  }

  /** Drops what was known of `to` (its key changed). */
  drop(to: string): void {
    this.#resolved.delete(to);
  }
}
