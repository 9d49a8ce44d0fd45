/** The error of room commands and of room messages that are refused. */

/** A room command that cannot be done, with the reason (shown to the user as is). */
export class RoomError extends Error {
  override name = "RoomError";
}

/**
 * Runs `decode` (a payload decoder), naming `what` when it fails.
 * @throws RoomError "the <what> is malformed" (with the decoder's error as cause).
 */
export function decodeOr<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (err: unknown) {
    throw new RoomError(`the ${what} is malformed`, { cause: err });
  }
}
