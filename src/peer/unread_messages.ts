/**
 * `tincan listen`'s unread messages: every message it receives is noted in the profile when it
 * arrives (it is already stored and acknowledged then) and printed from there, oldest first, then
 * removed. So listen prints every message it acknowledges — a listen that stops at --count N
 * leaves the others noted, and the next listen prints them first.
 */
import { fromHex, toHex } from "../crypto/bytes.ts";
import type { PeerEvent } from "./events.ts";
import type { Profile } from "./profile.ts";
import { HistoryStore } from "./store/history.ts";
import { historyText } from "./store/history_text.ts";
import { ListenUnreadStore } from "./store/listen_unread.ts";

/** A received message, as the peer's "message" event carries it. */
export type ReceivedMessage = Extract<PeerEvent, { type: "message" }>;

/** The unread messages of a profile. */
export class UnreadMessages {
  readonly #unread: ListenUnreadStore;
  readonly #history: HistoryStore;

  constructor(private readonly profile: Pick<Profile, "db" | "storageKey">) {
    this.#unread = new ListenUnreadStore(profile.db);
    this.#history = new HistoryStore(profile.db);
  }

  /** Notes a message that just arrived (stored) as not printed yet. */
  note(message: ReceivedMessage): void {
    this.#unread.add({
      peer: message.from,
      messageId: fromHex(message.id),
      recipient: message.to,
      via: message.via,
      keyChanged: message.keyChanged,
    });
  }

  /**
   * The oldest message not printed yet, as it arrived, or undefined. A note whose message is not
   * in the history (or no longer opens) is dropped.
   */
  async next(): Promise<ReceivedMessage | undefined> {
    for (;;) {
      const note = this.#unread.oldest();
      if (note === undefined) return undefined;
      const entry = this.#history.get(note.peer, note.messageId);
      const text = entry &&
        await historyText(this.profile.storageKey, entry).catch(() => undefined);
      if (entry === undefined || text === undefined) {
        this.#unread.remove(note.peer, note.messageId);
        continue;
      }
      return {
        type: "message",
        id: toHex(note.messageId),
        from: entry.peer,
        to: note.recipient,
        text,
        sentAt: entry.sentAt,
        keyChanged: note.keyChanged,
        trusted: entry.untrusted !== true,
        via: note.via,
      };
    }
  }

  /** Marks `message` printed. */
  printed(message: ReceivedMessage): void {
    this.#unread.remove(message.from, fromHex(message.id));
  }
}
