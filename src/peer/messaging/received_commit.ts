/**
 * The one commit of a received message: the advanced ratchet session, the deleted one-time
 * prekeys (X25519 and ML-KEM), the key agreement of a new session, the seen id, and what the
 * message itself changes (a history line, settled outbox entries), in one transaction — made
 * before the message is acknowledged, so an Ack means "stored". The messages of one chat frame
 * are committed together (commitAllReceived).
 */
import type { DatabaseSync } from "node:sqlite";
import { toHex } from "../../crypto/bytes.ts";
import { PrekeyKind } from "../../crypto/prekeys.ts";
import { transaction } from "../../store/database.ts";
import type { HistoryStore } from "../store/history.ts";
import type { OwnKeyStore } from "../store/own_keys.ts";
import type { OwnKemKeyStore } from "../store/own_kem_keys.ts";
import type { ContactProtocolStore } from "../store/contact_protocols.ts";
import type { RatchetSessionStore } from "../store/ratchet_sessions.ts";
import type { Decrypted } from "./session_manager.ts";

/** The stores a received message is committed to. */
export interface ReceivedStores {
  readonly db: DatabaseSync;
  readonly ratchetSessions: RatchetSessionStore;
  readonly ownKeys: OwnKeyStore;
  readonly kemKeys: OwnKemKeyStore;
  readonly protocols: ContactProtocolStore;
  readonly history: HistoryStore;
}

/** What a commit found. */
export interface Committed {
  /** The message started an X3DH session with a contact that had post-quantum keys before. */
  readonly downgraded: boolean;
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
): Committed {
  return commitAllReceived(stores, [{ received, also }])[0]!;
}

/**
 * Commits several messages from one sender in ONE transaction (a group commit): each message's
 * seen id, prekey deletions and `also`, and each session once, in the state the last of them
 * left it (a session a batch advanced several times is saved once, compare-and-set against the
 * version it was read at). Nothing is written when any part throws.
 * @throws StaleStateError when another process moved a session on since it was read.
 */
export function commitAllReceived(
  stores: ReceivedStores,
  batch: readonly { readonly received: Received; readonly also?: () => void }[],
): Committed[] {
  const sessions = new Map<string, Received>();
  for (const { received } of batch) {
    sessions.set(toHex(received.decrypted.session.sessionId), received);
  }
  return transaction(stores.db, () => {
    for (const received of sessions.values()) {
      stores.ratchetSessions.save({ ...received.decrypted.session, username: received.from });
    }
    return batch.map(({ received, also }) => {
      const { decrypted, now } = received;
      if (decrypted.usedOneTimePrekeyId !== undefined) {
        stores.ownKeys.delete(PrekeyKind.OneTime, decrypted.usedOneTimePrekeyId);
      }
      if (decrypted.usedKemOneTimePrekeyId !== undefined) {
        stores.kemKeys.delete(PrekeyKind.KemOneTime, decrypted.usedKemOneTimePrekeyId);
      }
      const downgraded = decrypted.protocol !== undefined &&
        stores.protocols.recordSession(received.from, decrypted.protocol, now);
      stores.history.markSeen(received.senderKey, received.messageId, now);
      also?.();
      return { downgraded };
    });
  });
}
