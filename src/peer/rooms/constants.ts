/**
 * The content kinds and limits of rooms. Every kind travels over the pairwise Double Ratchet
 * sessions (through the outbox: durable, acknowledged, resent, and per recipient in order):
 *
 *   "room/invite"     RoomListUpdate  an admin's signed member list that adds the recipient
 *   "room/members"    RoomListUpdate  a new signed member list (adds or removes members)
 *   "room/sender-key" RoomSenderKey   the sender's sender-key chain, with the list it holds
 *   "room/message"    SignedSenderKeyMessage, encrypted ONCE with the sender's chain; the same
 *                     bytes go to every member who joined
 *   "room/leave"      RoomLeave       the sender leaves; the first other admin signs it out
 *   "broadcast"       text only       a message to everyone online (each pairwise encrypted)
 *
 * The schemas are in src/proto/room.proto.
 */

/** The content kinds rooms use. */
export const ROOM_KINDS = {
  invite: "room/invite",
  members: "room/members",
  senderKey: "room/sender-key",
  message: "room/message",
  leave: "room/leave",
  broadcast: "broadcast",
} as const;

/** Largest room or broadcast text, in UTF-8 bytes. */
export const MAX_ROOM_TEXT_BYTES = 16 * 1024;

/** How many ids of pairwise messages rooms sent are remembered (the oldest go first). */
export const MAX_TRACKED_IDS = 10_000;
