/**
 * Which queued envelopes go in the next chat frame: the oldest first, at most
 * MAX_ENVELOPES_PER_FRAME of them, and no more bytes than MAX_CHAT_FRAME_BYTES allows. Pure.
 */
import { MAX_CHAT_FRAME_BYTES, MAX_ENVELOPES_PER_FRAME } from "../../protocol/limits.ts";

/** Bytes a frame spends on its version and on each envelope's tag and length prefix, at most. */
const FRAME_OVERHEAD_BYTES = 8;
const PER_ENVELOPE_OVERHEAD_BYTES = 6;

/**
 * Removes from the front of `queue` the items of the next frame and returns them: as many as fit
 * in MAX_ENVELOPES_PER_FRAME and MAX_CHAT_FRAME_BYTES beside `reservedBytes` of the frame taken
 * by other things (its Acks), `bytesOf` telling each item's envelope size — and at least one when
 * nothing is reserved (an envelope of up to MAX_ENVELOPE_BYTES fits a frame alone).
 */
export function takeBatch<T>(queue: T[], bytesOf: (item: T) => number, reservedBytes = 0): T[] {
  let count = 0;
  let bytes = FRAME_OVERHEAD_BYTES + reservedBytes;
  for (const item of queue) {
    const more = bytesOf(item) + PER_ENVELOPE_OVERHEAD_BYTES;
    const full = count === MAX_ENVELOPES_PER_FRAME || bytes + more > MAX_CHAT_FRAME_BYTES;
    if (full && (count > 0 || reservedBytes > 0)) {
      break;
    }
    count++;
    bytes += more;
  }
  return queue.splice(0, count);
}
