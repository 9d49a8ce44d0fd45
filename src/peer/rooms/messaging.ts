/**
 * Room messages: a text is encrypted ONCE with our sender-key chain and the same bytes go to
 * every member who joined; a received one is opened with its sender's chain. Both are kept in
 * the room's history, in the transaction that moves the chain on (for a received one, the
 * transaction that stores the pairwise message as received).
 */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { memberKey } from "../../crypto/member_list.ts";
import {
  DuplicateRoomMessageError,
  openRoomMessage,
  peekRoomMessage,
  sealRoomMessage,
} from "../../crypto/sender_key.ts";
import type { ContentMessage, ContentWrites } from "../service.ts";
import { fromHex } from "../../crypto/bytes.ts";
import { type MessageIdHex } from "../events.ts";
import type { RoomContext } from "./room_context.ts";
import { decodeOr, RoomError } from "./errors.ts";
import { checkRoomText } from "./input.ts";
import { RoomHistory } from "../store/room_history.ts";
import type { SenderKeys } from "./sender_keys.ts";
import { retryIfStale } from "../store/compare_and_set.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The messages of a peer's rooms (the Rooms facade serializes them). */
export class RoomMessaging {
  /** `keys` holds our chain and the members'. */
  constructor(private readonly ctx: RoomContext, private readonly keys: SenderKeys) {}

  /**
   * Sends `text` to everyone who joined `room`: encrypted once with our chain, the same bytes to
   * each. Returns the pairwise message ids.
   * @throws RoomError when we are not in `room` or the text is empty or too long.
   */
  async send(room: string, text: string): Promise<MessageIdHex[]> {
    const { ctx, keys } = this;
    const row = ctx.joined(room);
    const plaintext = checkRoomText(text);
    // Stale when another process on this profile moved our chain on meanwhile: what we sealed
    // may share its message key, so it is dropped and sealed again from the stored chain.
    const sealed = await retryIfStale(async () => {
      const own = await keys.own(row);
      const next = await sealRoomMessage(ctx.signer, row.roomId, own.chain, plaintext);
      const messageId = RoomHistory.sentId();
      const body = await ctx.history.seal(row.roomId, messageId, text);
      const sentAt = ctx.now();
      await keys.save(row.roomId, ctx.me, next.chain, own.version, () => {
        ctx.history.add({ roomId: row.roomId, messageId, sender: ctx.me, sentAt, body }, sentAt);
      });
      return next;
    });
    const to = ctx.joinedMembers(row, ctx.listOf(row));
    return await ctx.content.sendContentToAll(to, CONTENT_KINDS.room.message, sealed.message);
  }

  /**
   * "room/message": decrypts with the sender's chain; returns the writes (the moved-on chain, the
   * history line) for the commit that stores the message as received, and, once that is
   * committed, shows it. A duplicate is accepted and not shown.
   * @throws RoomError when we are not in its room, the sender is not or has given us no chain,
   * or the text is not UTF-8; SenderKeyError when it does not open; StaleStateError (from the
   * writes) when another process on this profile moved the sender's chain on meanwhile (the
   * message is redelivered).
   */
  async receive(message: ContentMessage): Promise<ContentWrites | undefined> {
    const { ctx, keys } = this;
    const { from } = message;
    const header = decodeOr(() => peekRoomMessage(message.payload), "room message");
    const row = ctx.store.get(header.roomId);
    if (row === undefined || row.status !== "joined") {
      throw new RoomError("we are not in that room");
    }
    const key = memberKey(ctx.listOf(row), from);
    if (key === undefined) throw new RoomError(`${from} is not in ${row.localName}`);
    const state = await keys.load(row.roomId, from);
    if (state === undefined) throw new RoomError(`we hold no sender key of ${from}`);
    let opened;
    try {
      opened = await openRoomMessage(state.chain, row.roomId, key, message.payload, ctx.now());
    } catch (err: unknown) {
      if (err instanceof DuplicateRoomMessageError) return undefined;
      throw err;
    }
    let text: string;
    try {
      text = decoder.decode(opened.plaintext);
    } catch {
      throw new RoomError("the room message is not UTF-8 text");
    }
    const messageId = fromHex(message.id);
    const body = await ctx.history.seal(row.roomId, messageId, text);
    const saveChain = await keys.saving(row.roomId, from, opened.state, state.version);
    const entry = { roomId: row.roomId, messageId, sender: from, sentAt: message.sentAt, body };
    return {
      write: () => {
        saveChain();
        ctx.history.add(entry, ctx.now());
      },
      committed: () =>
        ctx.emit({
          type: "room-message",
          id: message.id,
          room: row.localName,
          from,
          text,
          sentAt: message.sentAt,
        }),
    };
  }
}
