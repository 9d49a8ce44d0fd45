/**
 * The envelopes of one chunk of a recipient's undelivered messages (at most a frame's worth):
 * the ones stored already, and the others encrypted together — one session lock, one
 * transaction (RatchetEncryptor.encryptAll).
 */
import { toHex } from "../../crypto/bytes.ts";
import { StatementError } from "../../crypto/statements.ts";
import { X3dhError } from "../../crypto/x3dh.ts";
import type { ResolvedUser } from "../directory.ts";
import type { MessageIdHex } from "../events.ts";
import type { OutboxEntry } from "../store/outbox.ts";
import type { Encryptor, ToEncrypt } from "./outgoing_ports.ts";

/** What envelopesOf works with. */
export interface ChunkPorts {
  readonly encryptor: Encryptor;
  /** The content of `entry` to encrypt; undefined when it cannot be opened (it failed). */
  content(entry: OutboxEntry): Promise<Uint8Array | undefined>;
  /** Marks `entry` failed for `reason`. */
  fail(entry: OutboxEntry, reason: string): void;
  /** The message `id` was just encrypted. */
  encrypted(id: MessageIdHex): void;
}

/**
 * The envelopes of `chunk` for `user`, by id. An entry whose body cannot be opened fails alone
 * and has none. When no secure session can be started, the first entry to encrypt fails and is
 * `stopAt` (the rest wait).
 * @throws what encryptAll throws besides X3dhError and StatementError.
 */
export async function envelopesOf(
  chunk: readonly OutboxEntry[],
  user: ResolvedUser,
  ports: ChunkPorts,
): Promise<{ envelopes: Map<MessageIdHex, Uint8Array>; stopAt?: OutboxEntry }> {
  const envelopes = new Map<MessageIdHex, Uint8Array>();
  const items: ToEncrypt[] = [];
  for (const entry of chunk) {
    if (entry.envelope !== undefined) envelopes.set(toHex(entry.messageId), entry.envelope);
    else {
      const content = await ports.content(entry);
      if (content !== undefined) items.push({ entry, content });
    }
  }
  if (items.length === 0) return { envelopes };
  let encrypted: Uint8Array[];
  try {
    encrypted = await ports.encryptor.encryptAll(items, user);
  } catch (err: unknown) {
    if (err instanceof X3dhError || err instanceof StatementError) {
      const stopAt = items[0]!.entry;
      ports.fail(stopAt, `cannot start a secure session: ${err.message}`);
      return { envelopes, stopAt };
    }
    throw err;
  }
  for (const [i, { entry }] of items.entries()) {
    envelopes.set(toHex(entry.messageId), encrypted[i]!);
    ports.encrypted(toHex(entry.messageId));
  }
  return { envelopes };
}
