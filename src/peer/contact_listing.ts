/** The contacts as /contacts lists them: everyone we talked to, with presence and trust. */
import type { OnlineUsers } from "./online_users.ts";
import type { ContactStore } from "./store/contacts.ts";

/** A contact as /contacts lists it. */
export interface ContactListing {
  readonly username: string;
  /**
   * Online now; undefined when its presence is not followed (never talked to and in none of our
   * rooms, or beyond MAX_FOLLOWED).
   */
  readonly online: boolean | undefined;
  /** Its away text ("" when not away or offline). */
  readonly away: string;
  /** Verified (safety numbers compared), not verified, or a changed key waiting for /trust. */
  readonly trust: "verified" | "unverified" | "key-changed";
}

/** The contacts, sorted, with their presence (`online`, for those `followed`) and trust state. */
export function listContacts(
  contacts: ContactStore,
  online: Pick<OnlineUsers, "awayOf">,
  followed: readonly string[],
): ContactListing[] {
  const following = new Set(followed);
  const listing: ContactListing[] = [];
  for (const username of contacts.usernames()) {
    const contact = contacts.get(username);
    if (contact === undefined) continue;
    const away = online.awayOf(username);
    listing.push({
      username,
      online: following.has(username) ? away !== undefined : undefined,
      away: away ?? "",
      trust: contact.pendingKey ? "key-changed" : contact.verified ? "verified" : "unverified",
    });
  }
  return listing;
}
