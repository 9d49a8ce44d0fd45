/** The at-rest context of a stored message body: binds a body sealed with the storage key to its row. */

const encoder = new TextEncoder();

/** The context of the body of message `messageId` in `table` (table ‖ 0 ‖ messageId). */
export function bodyContext(table: "outbox" | "history", messageId: Uint8Array): Uint8Array {
  const prefix = encoder.encode(table);
  const context = new Uint8Array(prefix.length + 1 + messageId.length);
  context.set(prefix);
  context.set(messageId, prefix.length + 1);
  return context;
}
