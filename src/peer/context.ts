/** What the parts of a running peer share. */
import type { Signer } from "../crypto/primitives.ts";
import type { Logger } from "../log.ts";
import type { TincanNode } from "../net/node.ts";
import type { ContactStore } from "./store/contacts.ts";
import type { HistoryStore } from "./store/history.ts";
import type { OutboxStore } from "./store/outbox.ts";
import type { OwnKeyStore } from "./store/own_keys.ts";
import type { RatchetSessionStore } from "./store/ratchet_sessions.ts";
import type { ChatLinks } from "./messaging/chat_links.ts";
import type { Directory } from "./directory.ts";
import type { MessageIdHex, PeerEvent } from "./events.ts";
import type { Profile } from "./profile.ts";
import type { SessionManager } from "./messaging/session_manager.ts";
import type { Trust } from "./trust.ts";

/** Another feature's message, delivered to the handler registered for its kind. */
export interface ContentMessage {
  readonly id: MessageIdHex;
  readonly from: string;
  readonly sentAt: number;
  readonly text: string;
  readonly payload: Uint8Array;
}

/**
 * Handles the messages of one content kind. It runs before the message is acknowledged; throwing
 * rejects it. It must be idempotent by message id (it may see a message again after a crash).
 */
export type ContentHandler = (message: ContentMessage) => void | Promise<void>;

/** The running peer's collaborators. */
export interface PeerContext {
  readonly username: string;
  readonly profile: Profile;
  readonly node: TincanNode;
  readonly signer: Signer;
  readonly outbox: OutboxStore;
  readonly history: HistoryStore;
  readonly contacts: ContactStore;
  readonly ratchetSessions: RatchetSessionStore;
  readonly ownKeys: OwnKeyStore;
  readonly sessions: SessionManager;
  readonly directory: Directory;
  readonly trust: Trust;
  readonly links: ChatLinks;
  /** Handlers of content kinds other than chat messages, by kind. */
  readonly contentHandlers: Map<string, ContentHandler>;
  readonly emit: (event: PeerEvent) => void;
  readonly now: () => number;
  readonly log: Logger;
}

const encoder = new TextEncoder();

/** The at-rest context of a message body in `table`: binds a sealed body to its row. */
export function bodyContext(table: "outbox" | "history", messageId: Uint8Array): Uint8Array {
  const prefix = encoder.encode(table);
  const context = new Uint8Array(prefix.length + 1 + messageId.length);
  context.set(prefix);
  context.set(messageId, prefix.length + 1);
  return context;
}
