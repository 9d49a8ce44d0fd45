/**
 * A receipt (CONTENT_KINDS.receipt) from a contact: the messages it names, ours to its sender,
 * marked delivered (or failed, when refused) in the commit of the receipt itself, and reported
 * once committed.
 */
import { toHex } from "../../crypto/bytes.ts";
import { Receipt } from "../../proto/mailbox.ts";
import { MAX_RECEIPT_IDS } from "../../protocol/limits.ts";
import type { MessageIdHex } from "../events.ts";
import type { IncomingPorts } from "./incoming_ports.ts";
import type { Received } from "./received_commit.ts";

/**
 * Applies the receipt `payload` of `received`, writing in `commit` (the receipt's own commit). A
 * receipt from a key that is not the pinned one (`keyChanged`) changes nothing but the session.
 * Returns why a malformed receipt is rejected (nothing is committed then).
 */
export function applyReceipt(
  ports: Pick<IncomingPorts, "stores" | "reports">,
  payload: Uint8Array,
  received: Received,
  keyChanged: boolean,
  commit: (also: () => void) => void,
): string | undefined {
  const { stores, reports } = ports;
  const { from, now } = received;
  let receipt: Receipt;
  try {
    receipt = Receipt.decode(payload, {
      limits: { delivered: MAX_RECEIPT_IDS, refused: MAX_RECEIPT_IDS },
    });
  } catch {
    return "the receipt is malformed";
  }
  const settled: { id: MessageIdHex; reason?: string }[] = [];
  const settle = (messageId: Uint8Array, reason?: string) => {
    const entry = stores.outbox.get(messageId);
    if (keyChanged || entry === undefined || entry.recipient !== from) return;
    if (entry.status === "delivered" || entry.status === "failed") return;
    if (reason === undefined) {
      stores.outbox.setStatus(messageId, "delivered", now);
      settled.push({ id: toHex(messageId) });
    } else {
      const why = `${from} refused it: ${reason || "no reason given"}`;
      stores.outbox.setStatus(messageId, "failed", now, why);
      settled.push({ id: toHex(messageId), reason: why });
    }
  };
  commit(() => {
    for (const messageId of receipt.delivered) settle(messageId);
    for (const refusal of receipt.refused) settle(refusal.messageId, refusal.reason);
  });
  for (const { id, reason } of settled) {
    if (reason === undefined) reports.delivered(id, from);
    else reports.failed(id, from, reason);
  }
  return undefined;
}
