/**
 * The one commit of a received message: the advanced ratchet session, the deleted one-time
 * prekey, the seen id, and what the message itself changes (a history line, settled outbox
 * entries), in one transaction — made before the message is acknowledged, so an Ack means
 * "stored".
 */
import type { DatabaseSync } from "node:sqlite";
import { PrekeyKind } from "../../crypto/prekeys.ts";
import { transaction } from "../../store/database.ts";
import type { HistoryStore } from "../store/history.ts";
import type { OwnKeyStore } from "../store/own_keys.ts";
import type { RatchetSessionStore } from "../store/ratchet_sessions.ts";
import type { Decrypted } from "./session_manager.ts";

/** The stores a received message is committed to. */
export interface ReceivedStores {
  readonly db: DatabaseSync;
  readonly ratchetSessions: RatchetSessionStore;
  readonly ownKeys: OwnKeyStore;
  readonly history: HistoryStore;
}

/** One decrypted message to commit. */
export interface Received {
  /** The sender's identity key (the envelope's signer): seen ids are kept per sender. */
  readonly senderKey: Uint8Array;
  readonly messageId: Uint8Array;
  /** Its certified sender: the session is bound to this username. */
  readonly from: string;
  readonly decrypted: Decrypted;
  readonly now: number;
}

/**
 * Commits `received` and, in the same transaction, `also` (the writes of its content); nothing
 * is written when `also` throws.
 */
export function commitReceived(
  stores: ReceivedStores,
  received: Received,
  also: () => void = () => {},
): void {
  const { decrypted, now } = received;
  transaction(stores.db, () => {
    stores.ratchetSessions.save({ ...decrypted.session, username: received.from });
    if (decrypted.usedOneTimePrekeyId !== undefined) {
      stores.ownKeys.delete(PrekeyKind.OneTime, decrypted.usedOneTimePrekeyId);
    }
    stores.history.markSeen(received.senderKey, received.messageId, now);
    also();
  });
}
