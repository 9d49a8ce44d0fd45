/** The at-rest context of a stored message body: binds a body sealed with the storage key to its row. */
import { rowContext } from "./sealed_column.ts";

/** The context of the body of message `messageId` in `table` (table ‖ 0 ‖ messageId). */
export function bodyContext(table: "outbox" | "history", messageId: Uint8Array): Uint8Array {
  return rowContext(table, messageId);
}
