/**
 * What Outgoing (outgoing.ts) works with — stores, encryptor, resolver, links, mail drop,
 * presence, clock, event sink — each a small interface, so that it runs in tests on in-memory
 * SQLite with fakes; and what one flush of a recipient decides.
 */
import type { DatabaseSync } from "node:sqlite";
import type { PeerId } from "@libp2p/interface";
import type { Logger } from "../../log.ts";
import type { ResolvedUser } from "../directory.ts";
import type { PeerEvent } from "../events.ts";
import type { ContactStore } from "../store/contacts.ts";
import type { HistoryStore } from "../store/history.ts";
import type { OutboxEntry, OutboxStore } from "../store/outbox.ts";
import type { LinkToken } from "./chat_links.ts";

/** The stores outgoing messages are written to, and the key that seals their bodies. */
export interface OutgoingStores {
  readonly db: DatabaseSync;
  readonly outbox: OutboxStore;
  readonly history: HistoryStore;
  readonly contacts: Pick<ContactStore, "get" | "hasPendingKey">;
  /** Seals the outbox and history bodies at rest. */
  readonly storageKey: Uint8Array;
}

/** An outbox entry to encrypt, and its plaintext. */
export interface ToEncrypt {
  readonly entry: OutboxEntry;
  readonly content: Uint8Array;
}

/** Turns outbox entries into the signed envelopes for their recipient. */
export interface Encryptor {
  /**
   * Encrypts each of `items` for `user`, in order, and signs the envelopes; saves the advanced
   * session and the envelopes in the outbox in ONE transaction. Returns the envelopes, in order.
   * @throws X3dhError or StatementError when no secure session can be started (nothing is
   * saved).
   */
  encryptAll(items: readonly ToEncrypt[], user: ResolvedUser): Promise<Uint8Array[]>;
  /**
   * Drops every session with `username` (a session reset): the next message starts a new one.
   * Absent in encryptors that keep no sessions.
   */
  resetSessions?(username: string, identityKey: Uint8Array): Promise<void>;
}

/** Finds a recipient's key and addresses. */
export interface RecipientResolver {
  /**
   * Resolves `username` through the directory and judges its key.
   * @throws RemoteError E_NOT_FOUND for an unknown user; StatementError for a bad certificate.
   */
  resolve(username: string, now: number): Promise<ResolvedUser>;
}

/** The chat links envelopes go out on. */
export interface LinkSender {
  /**
   * Sends an envelope to `peer`; returns the link used.
   * @throws when the peer cannot be reached.
   */
  send(peer: PeerId, envelope: Uint8Array): Promise<LinkToken>;
  /** The link that sends to `peer` now, if any. */
  current(peer: PeerId): LinkToken | undefined;
}

/** Where messages go when their recipient cannot be reached directly. */
export interface MailDeposit {
  /**
   * Leaves a signed envelope in `to`'s mailbox; resolves once the rendezvous committed it — in
   * the mailbox, or (`queuedFor`, for another node's user) in our home's forwarding queue.
   * @throws RemoteError when the mailbox refuses it; an Error when it cannot be reached.
   */
  deposit(to: string, envelope: Uint8Array): Promise<{ readonly queuedFor?: string }>;
}

/** What presence says. */
export interface Presence {
  /** Whether `username` is online at the rendezvous. */
  isOnline(username: string): boolean;
}

/** Everything Outgoing works with. */
export interface OutgoingPorts {
  /** Our username. */
  readonly username: string;
  /** The sender named in the content of a message to `to` (`alice@home` for another node's). */
  readonly senderName?: (to: string) => string;
  readonly stores: OutgoingStores;
  readonly encryptor: Encryptor;
  readonly resolver: RecipientResolver;
  readonly links: LinkSender;
  /** The recipient's mailbox; without it, unreachable recipients are retried until reached. */
  readonly mail?: MailDeposit & Presence;
  readonly now: () => number;
  /** Receives the events of our messages (quiet messages' events are not passed on). */
  readonly emit: (event: PeerEvent) => void;
  readonly log: Logger;
}

/** What one flush of a recipient decided: done, or try again later. */
export type FlushOutcome = { readonly retry: false } | {
  readonly retry: true;
  readonly why: string;
  /** The least pause before the retry (the rendezvous said when a full mailbox may take it). */
  readonly notBeforeMs?: number;
};
