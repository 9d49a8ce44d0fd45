/**
 * What the operator's actions mean to the account protocol: a disabled account's login is
 * refused, and a deleted name cannot be registered until its cooling-off period is over (so no
 * newcomer inherits the contacts that knew the old owner).
 */
import type { AccountAdminStore } from "../store/account_admin.ts";

/** The account protocol's questions to the operator's decisions. */
export interface AccountPolicy {
  /** Why `username` may not log in now, or undefined when it may. */
  loginRefusal(username: string): string | undefined;
  /** Why `username` may not be registered at `now`, or undefined when it may. */
  registrationRefusal(username: string, now: number): string | undefined;
}

/** The default cooling-off period of a deleted name: 30 days. */
export const DEFAULT_COOLING_OFF_MS = 30 * 24 * 60 * 60 * 1000;

/** The policy over `store`, with deleted names held for `coolingOffMs`. */
export function accountPolicy(store: AccountAdminStore, coolingOffMs: number): AccountPolicy {
  return {
    loginRefusal: (username) =>
      store.disabledAt(username) === undefined
        ? undefined
        : `Cannot log in as ${username}: the operator of this rendezvous disabled the account`,
    registrationRefusal: (username, now) => {
      const deletedAt = store.deletedAt(username);
      if (deletedAt === undefined || deletedAt + coolingOffMs <= now) return undefined;
      return `The username ${username} was deleted recently; it can be registered again after ${
        new Date(deletedAt + coolingOffMs).toISOString()
      }`;
    },
  };
}
