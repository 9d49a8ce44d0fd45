/**
 * The acknowledgements of one chat frame applied to our outbox, in one transaction; their
 * outcomes (delivered, failed, a session reset asked for) reported once it is committed.
 */
import { bytesEqual, toHex } from "../../crypto/bytes.ts";
import { Ack } from "../../proto/chat.ts";
import { transaction } from "../../store/database.ts";
import type { IncomingPorts } from "./incoming_ports.ts";

/**
 * Applies `acks` from the peer of key `fromKey`. An Ack for a message that is not ours to that
 * peer, or already settled, changes nothing. Each recipient's contact is read once per frame.
 */
export function applyAcks(
  ports: Pick<IncomingPorts, "stores" | "reports" | "now">,
  acks: readonly Ack[],
  fromKey: Uint8Array,
): void {
  const { stores, reports } = ports;
  const settled: (() => void)[] = [];
  const fromThem = new Map<string, boolean>();
  const isFromThem = (recipient: string) => {
    let known = fromThem.get(recipient);
    if (known === undefined) {
      const contact = stores.contacts.get(recipient);
      fromThem.set(
        recipient,
        known = contact !== undefined && bytesEqual(contact.identityKey, fromKey),
      );
    }
    return known;
  };
  transaction(stores.db, () => {
    for (const ack of acks) {
      const entry = stores.outbox.stateOf(ack.messageId);
      if (entry === undefined || entry.status === "delivered" || entry.status === "failed") {
        continue;
      }
      if (!isFromThem(entry.recipient)) continue;
      const id = toHex(ack.messageId);
      const to = entry.recipient;
      if (ack.result === Ack.Result.SESSION_RESET) {
        const reason = ack.reason || "no reason given";
        settled.push(() => void reports.sessionReset?.(id, to, reason));
      } else if (ack.result === Ack.Result.DELIVERED) {
        stores.outbox.setStatus(ack.messageId, "delivered", ports.now());
        settled.push(() => reports.delivered(id, to));
      } else {
        const reason = `${to} rejected it: ${ack.reason || "no reason given"}`;
        stores.outbox.setStatus(ack.messageId, "failed", ports.now(), reason);
        settled.push(() => reports.failed(id, to, reason));
      }
    }
  });
  for (const report of settled) report();
}
