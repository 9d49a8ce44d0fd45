/**
 * What Incoming (incoming.ts) works with — stores, sessions, certifier, delivery reports, content
 * handlers, clock, event sink — and what processing one mail gives.
 */
import type { Logger } from "../../log.ts";
import type { MessageIdHex, PeerEvent } from "../events.ts";
import type { ContentHandler } from "../service.ts";
import type { ContactStore } from "../store/contacts.ts";
import type { OutboxStore } from "../store/outbox.ts";
import type { ReceivedStores } from "./received_commit.ts";
import type { SenderCertifier } from "./sender_certificates.ts";
import type { SessionManager } from "./session_manager.ts";

/** What processing one mail gave. */
export interface MailOutcome {
  /** The message id, when the envelope could be read. */
  readonly messageId?: Uint8Array;
  /** The sender's certified username, when known: a receipt goes back to it. */
  readonly from?: string;
  /** Stored (or already had it); else refused for `reason`. */
  readonly delivered: boolean;
  readonly reason?: string;
  /** The mail was itself a receipt (it gets none back). */
  readonly receipt?: boolean;
  /**
   * No session decrypts it: the key that signed it, whose owner is to be asked for a session
   * reset (reset_answers.ts) instead of a refusal in the receipt.
   */
  readonly resetBy?: Uint8Array;
}

/** The stores incoming messages are checked against and committed to. */
export interface IncomingStores extends ReceivedStores {
  readonly outbox: OutboxStore;
  readonly contacts: Pick<ContactStore, "get" | "byKey">;
  /** Seals history bodies at rest. */
  readonly storageKey: Uint8Array;
}

/** Where the outcomes of our own messages go (the outgoing side). */
export interface DeliveryReports {
  /** Our message `id` to `to` was delivered. */
  delivered(id: MessageIdHex, to: string): void;
  /** Our message `id` to `to` failed for `reason`. */
  failed(id: MessageIdHex, to: string, reason: string): void;
  /** `username`'s key changed (blocked when it was verified); `detail` says what else is wrong. */
  keyChanged(username: string, blocked: boolean, detail?: string): void;
  /** `to` has no session that decrypts our message `id` (session_reset.ts). */
  sessionReset?(id: MessageIdHex, to: string, reason: string): Promise<void>;
}

/** Everything Incoming works with. */
export interface IncomingPorts {
  readonly username: string;
  /** Our identity key: the recipient every envelope must name. */
  readonly identityKey: Uint8Array;
  readonly stores: IncomingStores;
  readonly sessions: Pick<SessionManager, "decrypt" | "exclusive" | "stored">;
  readonly certifier: SenderCertifier;
  readonly reports: DeliveryReports;
  /**
   * The stored name of a content's claimed sender (`alice@home` from another node is `alice` at
   * `home`, and stays `alice@home` elsewhere); normalizeUsername unless given.
   * @throws RangeError for a name that breaks the rules.
   */
  readonly nameOf?: (claimed: string) => string;
  /** The content handlers of the peer's services, by kind. */
  readonly handlers: ReadonlyMap<string, ContentHandler>;
  readonly now: () => number;
  /** Receives the messages that arrive. */
  readonly emit: (event: PeerEvent) => void;
  readonly log: Logger;
}
