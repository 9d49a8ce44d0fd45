/**
 * Writing new outgoing messages: each body sealed at rest once, and the same sealed value stored
 * in the outbox and (for a chat message) the history; the messages of one write (the copies of a
 * room message, one per member) in one transaction. The content stays in
 * memory until it is encrypted, so it is not read back and opened again (up to
 * MAX_WRITTEN_IN_MEMORY messages; beyond, or after a restart, it is).
 */
import { toHex } from "../../crypto/bytes.ts";
import { newMessageId } from "../../crypto/envelope.ts";
import { Content } from "../../proto/chat.ts";
import { transaction } from "../../store/database.ts";
import type { MessageIdHex } from "../events.ts";
import { keptInHistory } from "../store/history.ts";
import type { OutboxEntry } from "../store/outbox.ts";
import { openOutboxBody, sealOutgoingBody } from "../store/outbox_body.ts";
import type { OutgoingStores } from "./outgoing_ports.ts";

/** Contents kept in memory between writing and encrypting; beyond, they are read back. */
const MAX_WRITTEN_IN_MEMORY = 10_000;

/** A new message to write. */
export interface NewMessage {
  readonly messageId: Uint8Array;
  readonly to: string;
  /** The encoded Content. */
  readonly content: Uint8Array;
  /** Its content kind ("" for chat): whether it goes in the history too. */
  readonly kind: string;
  readonly now: number;
}

/**
 * One new message to each of `recipients`, each with its own id, the same `text`, `kind` and
 * `payload`, from the name `from` gives for that recipient, written at `now`.
 */
export function newMessages(
  recipients: readonly string[],
  from: (to: string) => string,
  body: { readonly text: string; readonly kind: string; readonly payload: Uint8Array },
  now: number,
): NewMessage[] {
  const { text, kind, payload } = body;
  return recipients.map((to) => ({
    messageId: newMessageId(),
    to,
    content: Content.encode({ from: from(to), text, sentAt: BigInt(now), kind, payload }),
    kind,
    now,
  }));
}

/** The outbox side of new messages, and their contents until encrypted. */
export class OutboxWriter {
  /** Contents written by this process and not yet encrypted, by message id. */
  readonly #written = new Map<MessageIdHex, Uint8Array>();

  constructor(private readonly stores: OutgoingStores) {}

  /**
   * Stores each of `messages` in the outbox (held when its recipient's key changed and is not
   * trusted yet, else pending) and, for a chat message, in the history, all in ONE transaction;
   * returns, in order, whether each is held. Nothing is stored when one of them fails.
   */
  async writeAll(messages: readonly NewMessage[]): Promise<{ held: boolean }[]> {
    const { stores } = this;
    if (messages.length === 0) return [];
    const rows: { message: NewMessage; body: Uint8Array; held: boolean }[] = [];
    for (const message of messages) {
      const { messageId, content, to } = message;
      const body = await sealOutgoingBody(stores.storageKey, content, messageId);
      rows.push({ message, body, held: stores.contacts.hasPendingKey(to) });
    }
    transaction(stores.db, () => {
      for (const { message: { messageId, to, kind, now }, body, held } of rows) {
        stores.outbox.add({
          messageId,
          recipient: to,
          body,
          status: held ? "held" : "pending",
          createdAt: now,
        });
        if (keptInHistory(kind)) {
          stores.history.add({ messageId, peer: to, outgoing: true, sentAt: now, body }, now);
        }
      }
    });
    for (const { message: { messageId, content } } of rows) {
      if (this.#written.size < MAX_WRITTEN_IN_MEMORY) this.#written.set(toHex(messageId), content);
    }
    return rows.map(({ held }) => ({ held }));
  }

  /**
   * The content of `entry` to encrypt: the one written, from memory, else its stored body
   * opened.
   * @throws DecryptionError when the stored body does not open (another storage key, damage).
   */
  async content(entry: OutboxEntry): Promise<Uint8Array> {
    const id = toHex(entry.messageId);
    const written = this.#written.get(id);
    this.#written.delete(id);
    if (written !== undefined) return written;
    return await openOutboxBody(this.stores.storageKey, entry.body, entry.messageId);
  }

  /** Forgets the content of the message `id` (it is settled). */
  forget(id: MessageIdHex): void {
    this.#written.delete(id);
  }
}
