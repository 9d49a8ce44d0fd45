/** The text of a stored history message: its body opened with the storage key and decoded. */
import { openAtRest } from "../../crypto/at_rest.ts";
import { Content } from "../../proto/chat.ts";
import { bodyContext } from "./body_context.ts";
import type { HistoryEntry } from "./history.ts";

/**
 * The chat text of `entry`, sealed under `storageKey`.
 * @throws DecryptionError when the key or the stored body is not the right one.
 */
export async function historyText(storageKey: Uint8Array, entry: HistoryEntry): Promise<string> {
  const plaintext = await openAtRest(
    storageKey,
    entry.body,
    bodyContext("history", entry.messageId),
  );
  return Content.decode(plaintext).text;
}
