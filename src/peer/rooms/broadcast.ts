/** Broadcasts: a text to every user online at the rendezvous, each copy pairwise encrypted. */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import type { ContentMessage, ContentSender, OnlineList } from "../service.ts";
import type { RoomEvent } from "./events.ts";
import { checkRoomText } from "./input.ts";

/** Sends broadcasts and shows those received. */
export class Broadcast {
  /** `emit` shows a received broadcast. */
  constructor(
    private readonly content: ContentSender,
    private readonly presence: OnlineList,
    private readonly emit: (event: RoomEvent) => void,
  ) {}

  /**
   * Sends `text` to every user online at the rendezvous, each copy end-to-end encrypted for its
   * recipient. Returns the recipients.
   * @throws RoomError when the text is empty or too long.
   */
  async send(text: string): Promise<string[]> {
    checkRoomText(text);
    const online = await this.presence.everyone();
    await this.content.sendContentToAll(online, CONTENT_KINDS.broadcast, new Uint8Array(0), text);
    return online;
  }

  /** "broadcast": shows it. */
  receive(m: ContentMessage): void {
    this.emit({ type: "broadcast", id: m.id, from: m.from, text: m.text, sentAt: m.sentAt });
  }
}
