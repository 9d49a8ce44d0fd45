/** What the rooms service uses of the peer that runs it. */
import type { Profile } from "../profile.ts";
import type { ContentSender, OnlineList, UserResolver } from "../service.ts";

/** The ports of the rooms service. */
export interface RoomPorts {
  /** Our username. */
  readonly username: string;
  /** The room store and history live in its database, sealed with its storage key. */
  readonly profile: Pick<Profile, "db" | "storageKey" | "identity">;
  readonly now: () => number;
  /** Sends the room content kinds over the pairwise sessions. */
  readonly content: ContentSender;
  /** Finds the trusted key of a member. */
  readonly users: Pick<UserResolver, "resolvePeer">;
  /** Our home's name, once the rendezvous said it (undefined before, or when it never does). */
  readonly home: () => string | undefined;
  /** Who a broadcast goes to. */
  readonly presence: OnlineList;
}
