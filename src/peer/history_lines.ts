/** Our direct and broadcast messages as /history shows them: decrypted, with their delivery. */
import { openAtRest } from "../crypto/at_rest.ts";
import { toHex } from "../crypto/bytes.ts";
import { Content } from "../proto/chat.ts";
import { CONTENT_KINDS } from "../protocol/ids.ts";
import type { MessageIdHex } from "./events.ts";
import { bodyContext } from "./store/body_context.ts";
import type { HistoryStore } from "./store/history.ts";
import type { OutboxStatus, OutboxStore } from "./store/outbox.ts";

/** One line of history, decrypted. */
export interface HistoryLine {
  readonly id: MessageIdHex;
  readonly peer: string;
  readonly outgoing: boolean;
  readonly sentAt: number;
  readonly text: string;
  /** Set for a message received from a changed key not yet trusted as `peer`. */
  readonly untrusted?: true;
  /** A broadcast (to everyone online then), not a direct message. */
  readonly broadcast: boolean;
  /** Ours: where it stands in the outbox (delivered, queued, failed …) and why it failed. */
  readonly delivery?: { readonly status: OutboxStatus; readonly error?: string };
}

/**
 * The last `limit` messages with `peer` (a stored name; all when undefined), oldest first,
 * opened with `storageKey`.
 */
export async function readHistory(
  stores: { readonly history: HistoryStore; readonly outbox: OutboxStore },
  storageKey: Uint8Array,
  peer: string | undefined,
  limit: number,
): Promise<HistoryLine[]> {
  const rows = stores.history.recent(peer, limit);
  const lines: HistoryLine[] = [];
  for (const row of rows) {
    const plaintext = await openAtRest(storageKey, row.body, bodyContext("history", row.messageId));
    const content = Content.decode(plaintext);
    const sent = row.outgoing ? stores.outbox.get(row.messageId) : undefined;
    lines.push({
      id: toHex(row.messageId),
      peer: row.peer,
      outgoing: row.outgoing,
      sentAt: row.sentAt,
      text: content.text,
      broadcast: content.kind === CONTENT_KINDS.broadcast,
      ...(row.untrusted ? { untrusted: true } : {}),
      ...(sent && {
        delivery: { status: sent.status, ...(sent.error !== undefined && { error: sent.error }) },
      }),
    });
  }
  return lines;
}
