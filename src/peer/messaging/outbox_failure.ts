/**
 * Marking one outgoing message failed on the user's word (peer.markFailed): unless it was
 * delivered or queued meanwhile.
 */
import { fromHex } from "../../crypto/bytes.ts";
import type { MessageIdHex } from "../events.ts";
import type { OutboxStore } from "../store/outbox.ts";

/**
 * Marks the message `id` in `outbox` failed for `reason` unless it was delivered or queued
 * meanwhile; returns where it ends up.
 * @throws RangeError when there is no such message in the outbox.
 */
export function markOutboxFailed(
  outbox: Pick<OutboxStore, "get" | "setStatus">,
  id: MessageIdHex,
  reason: string,
  now: number,
): "delivered" | "queued" | "failed" {
  const messageId = fromHex(id);
  const status = outbox.get(messageId)?.status;
  if (status === undefined) throw new RangeError(`there is no message ${id} in the outbox`);
  if (status === "delivered" || status === "queued") return status;
  outbox.setStatus(messageId, "failed", now, reason);
  return "failed";
}
