/**
 * The limits of rooms. Their content kinds (CONTENT_KINDS.room, .broadcast in
 * src/protocol/ids.ts) travel over the pairwise Double Ratchet sessions (through the outbox:
 * durable, acknowledged, resent, and per recipient in order); a room message is encrypted once
 * with the sender's chain and the same bytes go to every member who joined. The schemas are in
 * src/proto/room.proto.
 */

/** Largest room or broadcast text, in UTF-8 bytes. */
export const MAX_ROOM_TEXT_BYTES = 16 * 1024;

/** How many ids of pairwise messages rooms sent are remembered (the oldest go first). */
export const MAX_TRACKED_IDS = 10_000;
