/**
 * Another feature's content (rooms, files …) from a contact: handed to the handler its service
 * registered, then committed — with a history line for a broadcast kind.
 */
import { sealAtRest } from "../../crypto/at_rest.ts";
import { toHex } from "../../crypto/bytes.ts";
import type { Content } from "../../proto/chat.ts";
import { bodyContext } from "../store/body_context.ts";
import { StaleStateError } from "../store/compare_and_set.ts";
import { keptInHistory } from "../store/history.ts";
import type { ContentWrites } from "../service.ts";
import type { IncomingPorts } from "./incoming_ports.ts";
import type { Received } from "./received_commit.ts";

/**
 * Hands `content` of `received` to its handler, then writes in `commit` (its own commit), with the
 * writes the handler returned, and tells the handler once committed. A kind
 * with no handler, or a handler that throws, rejects the message: returns why. A handler may run
 * twice for the same id (a crash between it and the commit), so handlers are idempotent by
 * message id.
 * @throws StaleStateError from the handler: not the message's fault, the caller retries.
 */
export async function deliverOther(
  ports: Pick<IncomingPorts, "handlers" | "stores">,
  content: Content,
  received: Received,
  sentAt: number,
  commit: (also: () => void) => void,
): Promise<string | undefined> {
  const handler = ports.handlers.get(content.kind);
  if (handler === undefined) return `this peer does not handle "${content.kind}" messages`;
  let writes: ContentWrites | void | undefined;
  try {
    writes = await handler({
      id: toHex(received.messageId),
      from: received.from,
      sentAt,
      text: content.text,
      payload: content.payload,
    });
  } catch (err: unknown) {
    if (err instanceof StaleStateError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    return `${content.kind}: ${why}`;
  }
  const { stores } = ports;
  const { messageId, from } = received;
  const body = keptInHistory(content.kind) // a broadcast
    ? await sealAtRest(
      stores.storageKey,
      received.decrypted.plaintext,
      bodyContext("history", messageId),
    )
    : undefined;
  commit(() => {
    writes?.write();
    if (body) {
      stores.history.add({ messageId, peer: from, outgoing: false, sentAt, body }, received.now);
    }
  });
  writes?.committed();
  return undefined;
}
