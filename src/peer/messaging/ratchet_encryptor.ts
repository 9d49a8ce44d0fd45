/**
 * The Encryptor of outgoing messages: the Double Ratchet session with the recipient (started
 * from its prekey bundle when there is none: PQXDH, or X3DH when the bundle has no KEM prekey),
 * an envelope signed with our identity key, and the advanced session saved with the envelope —
 * and a new session's key agreement with the contact — in one transaction; the messages waiting
 * for one recipient are encrypted together, in one transaction.
 */
import type { DatabaseSync } from "node:sqlite";
import { sealEnvelope } from "../../crypto/envelope.ts";
import type { Signer } from "../../crypto/primitives.ts";
import type { PqxdhBundle } from "../../crypto/pqxdh.ts";
import { transaction } from "../../store/database.ts";
import type { ResolvedUser } from "../directory.ts";
import type { PeerEvent } from "../events.ts";
import type { ContactProtocolStore } from "../store/contact_protocols.ts";
import type { OutboxEntry, OutboxStore } from "../store/outbox.ts";
import type { RatchetSessionStore } from "../store/ratchet_sessions.ts";
import { retryIfStale } from "../store/compare_and_set.ts";
import type { Encryptor, ToEncrypt } from "./outgoing_ports.ts";
import type { Encrypted, SessionManager } from "./session_manager.ts";
import { sessionProtocolEvent } from "./session_protocol_event.ts";

/** Fetches a recipient's prekey bundle (consuming one of its one-time prekeys, EC and KEM). */
export interface BundleSource {
  /**
   * The bundle of `username` for the key pinned as `identityKey`.
   * @throws KeyMismatchError when the certified key is no longer `identityKey`.
   */
  bundle(username: string, identityKey: Uint8Array, now: number): Promise<PqxdhBundle>;
}

/** What RatchetEncryptor works with. */
export interface RatchetEncryptorPorts {
  readonly db: DatabaseSync;
  readonly sessions: SessionManager;
  readonly ratchetSessions: RatchetSessionStore;
  readonly outbox: OutboxStore;
  readonly protocols: ContactProtocolStore;
  readonly signer: Signer;
  readonly bundles: BundleSource;
  readonly now: () => number;
  /** Told of a new X3DH session (events.ts "x3dh-session"). */
  readonly emit: (event: PeerEvent) => void;
}

/** Encrypts outbox entries with the ratchet session of their recipient. */
export class RatchetEncryptor implements Encryptor {
  constructor(private readonly ports: RatchetEncryptorPorts) {}

  /**
   * Encrypts and signs `content` as `entry` for `user`; saves the session and the envelope
   * (encryptAll with one).
   * @throws as encryptAll does.
   */
  async encrypt(entry: OutboxEntry, content: Uint8Array, user: ResolvedUser): Promise<Uint8Array> {
    return (await this.encryptAll([{ entry, content }], user))[0]!;
  }

  /**
   * Encrypts and signs each of `items` for `user`, in order, each message advancing the session
   * the one before left; saves the session (once, in its last state) and every envelope in one
   * transaction. Returns the envelopes, in order.
   * @throws X3dhError when the bundle's signatures do not verify; KeyMismatchError when the key
   * changed; RatchetError when the session cannot send; StaleStateError when another process
   * moved the session on twice while we encrypted. Nothing is saved then.
   */
  async encryptAll(items: readonly ToEncrypt[], user: ResolvedUser): Promise<Uint8Array[]> {
    const { db, sessions, ratchetSessions, outbox, protocols, signer, bundles } = this.ports;
    const peer = { username: user.username, identityKey: user.identityKey };
    // A first message needs the recipient's bundle: fetched before the lock, so no network
    // round trip holds it (should a session appear meanwhile, the bundle is not used).
    const bundle = sessions.hasSession(peer)
      ? undefined
      : await bundles.bundle(user.username, user.identityKey, this.ports.now());
    // Exclusive from reading the session to saving it: an envelope arriving from this peer
    // meanwhile must not ratchet the same stored state (one of the two updates would be lost).
    // Another process on this profile is not held off by that: its save makes ours stale (the
    // session is saved by compare-and-set), so the envelopes we made are dropped, never sent
    // under a message key the other may have used too, and we encrypt once more from the
    // stored state.
    const sealed = await sessions.exclusive(user.identityKey, () =>
      retryIfStale(async () => {
        const now = this.ports.now();
        const envelopes: Uint8Array[] = [];
        let session: Encrypted["session"] | undefined;
        let protocol: Encrypted["protocol"];
        for (const { entry, content } of items) {
          const encrypted = await sessions.encrypt(
            peer,
            content,
            () =>
              bundle
                ? Promise.resolve(bundle)
                : bundles.bundle(user.username, user.identityKey, now),
            now,
            session,
          );
          session = encrypted.session;
          protocol ??= encrypted.protocol;
          envelopes.push(
            await sealEnvelope(signer, {
              sender: signer.publicKey,
              recipient: user.identityKey,
              messageId: entry.messageId,
              timestamp: entry.createdAt,
              ...(encrypted.prekey ? { prekey: encrypted.prekey } : {}),
              ratchetHeader: encrypted.message.header,
              ciphertext: encrypted.message.ciphertext,
            }),
          );
        }
        const downgraded = transaction(db, () => {
          if (session) ratchetSessions.save(session);
          for (const [i, { entry }] of items.entries()) {
            outbox.setEnvelope(entry.messageId, envelopes[i]!, now);
          }
          return protocol !== undefined && protocols.recordSession(user.username, protocol, now);
        });
        return {
          envelopes,
          event: protocol && sessionProtocolEvent(user.username, protocol, downgraded),
        };
      }));
    if (sealed.event) this.ports.emit(sealed.event);
    return sealed.envelopes;
  }

  /** Drops every session with `username` (a session reset), under the peer's session lock. */
  async resetSessions(username: string, identityKey: Uint8Array): Promise<void> {
    await this.ports.sessions.exclusive(identityKey, () => {
      this.ports.ratchetSessions.deleteAll(username);
      return Promise.resolve();
    });
  }
}
