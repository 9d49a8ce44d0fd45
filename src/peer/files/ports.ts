/** What the file-transfer service uses of the peer that runs it. */
import type { Profile } from "../profile.ts";
import type { ContentSender, StreamOpener, UserResolver } from "../service.ts";

/** The ports of the file-transfer service. */
export interface FilePorts {
  /** Our username. */
  readonly username: string;
  /** The file_transfers table is in its database; file keys are sealed with its storage key. */
  readonly profile: Pick<Profile, "db" | "storageKey">;
  readonly now: () => number;
  /** Sends offers and replies over the pairwise sessions. */
  readonly content: Pick<ContentSender, "sendContent">;
  /** The sender's PeerId for a download, and who opened a data stream. */
  readonly users: UserResolver;
  /** Opens the data streams of downloads. */
  readonly streams: StreamOpener;
}
