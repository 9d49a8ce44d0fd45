/** Checks of what the user types for rooms: room names and message texts. */
import { ROOM_NAME } from "../../crypto/member_list.ts";
import { MAX_ROOM_TEXT_BYTES } from "./constants.ts";
import { RoomError } from "./errors.ts";

const encoder = new TextEncoder();

/**
 * "#name" checked and lower-cased; a local "#name~abcd" is accepted too.
 * @throws RoomError when it is not a room name.
 */
export function checkRoomName(name: string): string {
  const lower = name.toLowerCase();
  const [base = "", suffix] = lower.split("~");
  if (!ROOM_NAME.test(base) || (suffix !== undefined && !/^[0-9a-f]{4}$/.test(suffix))) {
    throw new RoomError(`"${name}" is not a room name: # and 1-32 of a-z, 0-9, _ and -`);
  }
  return lower;
}

/**
 * The UTF-8 bytes of a room or broadcast text.
 * @throws RoomError when it is empty or over MAX_ROOM_TEXT_BYTES.
 */
export function checkRoomText(text: string): Uint8Array {
  if (text.trim() === "") throw new RoomError("The message is empty");
  const bytes = encoder.encode(text);
  if (bytes.length > MAX_ROOM_TEXT_BYTES) {
    throw new RoomError(
      `The message is ${bytes.length} bytes; the limit is ${MAX_ROOM_TEXT_BYTES}`,
    );
  }
  return bytes;
}
