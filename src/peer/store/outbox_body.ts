/**
 * The sealed body of an outgoing message: sealed at rest ONCE (bound to its message id, with the
 * history context) and stored as is in both the outbox and the history, so writing a message
 * costs one AES-GCM seal, not two. Outbox rows written before that were sealed with the outbox
 * context, and still open.
 */
import { openAtRest, sealAtRest } from "../../crypto/at_rest.ts";
import { bodyContext } from "./body_context.ts";

/** Seals the content of our message `messageId` for its outbox and history rows. */
export function sealOutgoingBody(
  storageKey: Uint8Array,
  content: Uint8Array,
  messageId: Uint8Array,
): Promise<Uint8Array> {
  return sealAtRest(storageKey, content, bodyContext("history", messageId));
}

/**
 * Opens the outbox body of message `messageId` (sealOutgoingBody, or the outbox context of rows
 * written before it).
 * @throws DecryptionError when it opens under neither (another storage key, or damaged).
 */
export async function openOutboxBody(
  storageKey: Uint8Array,
  body: Uint8Array,
  messageId: Uint8Array,
): Promise<Uint8Array> {
  try {
    return await openAtRest(storageKey, body, bodyContext("history", messageId));
  } catch {
    return await openAtRest(storageKey, body, bodyContext("outbox", messageId));
  }
}
