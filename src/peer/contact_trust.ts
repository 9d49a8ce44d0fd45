/**
 * The user's trust decisions about contacts, each bound to what the user saw: /trust accepts a
 * changed key only with its fingerprint (or the safety number) as shown, /verify marks a contact
 * verified only with the safety number shown. Messages held while a key was changing are never
 * sent by a trust decision: the user sees them and resends or discards them (written for the old
 * key's owner, they may not be meant for the new one). /whois lists the key log.
 */
import { toHex } from "../crypto/bytes.ts";
import { fingerprintDigits, safetyNumber } from "../crypto/safety_number.ts";
import { openOutboxBody } from "./store/outbox_body.ts";
import { Content } from "../proto/chat.ts";
import type { Directory } from "./directory.ts";
import { homedUsername } from "./names.ts";
import type { MessageIdHex } from "./events.ts";
import type { KeyLogProblem } from "./key_log.ts";
import type { Outgoing } from "./messaging/outgoing.ts";
import type { ContactStore } from "./store/contacts.ts";
import type { OutboxStore } from "./store/outbox.ts";
import type { KeyStanding, Trust } from "./trust.ts";

/** The fingerprint or safety number the user typed is not the current one. */
export class FingerprintMismatchError extends RangeError {
  override name = "FingerprintMismatchError";
}

/** A message held while its recipient's key changed. */
export interface HeldMessage {
  readonly id: MessageIdHex;
  /** The text ("" for another feature's message, see `kind`). */
  readonly text: string;
  /** "" for a chat message. */
  readonly kind: string;
  /** When it was written (ms since the Unix epoch). */
  readonly writtenAt: number;
}

/** One entry of a contact's key log, as /whois lists it. */
export interface KeyLogLine {
  readonly seq: number;
  /** The key's fingerprint: 30 digits in groups of 5, as `tincan whoami` shows. */
  readonly fingerprint: string;
  /** When the rendezvous bound it (ms since the Unix epoch). */
  readonly at: number;
}

/** What /whois shows of a user. */
export interface Whois {
  readonly username: string;
  /** The key the rendezvous certifies now, its fingerprint and how it stands against the pin. */
  readonly certified: {
    readonly fingerprint: string;
    readonly standing: KeyStanding;
    readonly issuedAt: number;
    readonly expiresAt: number;
  };
  /** The pinned key, when a contact. */
  readonly pinned?: {
    readonly fingerprint: string;
    readonly verified: boolean;
    readonly firstSeen: number;
  };
  /** A changed key awaiting /trust. */
  readonly pendingFingerprint?: string;
  /** The key log, oldest first (key changes are the entries after the first). */
  readonly keyLog: readonly KeyLogLine[];
  /** Whether the log checks out (verified, extends what we saw, records the certificate). */
  readonly keyLogVerified: boolean;
  readonly problem?: { readonly kind: KeyLogProblem; readonly message: string };
}

/** What ContactTrust works with (the running parts are there only while the peer runs). */
export interface ContactTrustPorts {
  readonly self: { readonly username: string; readonly identityKey: Uint8Array };
  readonly contacts: ContactStore;
  readonly outbox: OutboxStore;
  readonly storageKey: Uint8Array;
  readonly now: () => number;
  /**
   * The running peer's parts.
   * @throws TypeError when the peer is not started.
   */
  readonly running: () => {
    readonly trust: Trust;
    readonly directory: Directory;
    readonly outgoing: Outgoing;
    /** Drops the cached certificate of `username` (its key was trusted or changed). */
    readonly recertify: (username: string) => void;
  };
}

/** The digits of a typed fingerprint or safety number (spaces and dashes ignored). */
function digitsOf(typed: string): string {
  return typed.replace(/[\s-]/g, "");
}

/**
 * A key's fingerprint: `username`'s 30 digits, grouped in fives. Another node's `bob@work` has
 * the fingerprint `bob` sees for himself (the username as homed).
 */
export function keyFingerprint(username: string, identityKey: Uint8Array): string {
  return fingerprintDigits({ username: homedUsername(username), identityKey })
    .match(/\d{5}/g)!.join(" ");
}

/** Trust decisions about contacts, and what /whois shows. */
export class ContactTrust {
  constructor(private readonly ports: ContactTrustPorts) {}

  /** The safety number with `username`'s key `identityKey`. */
  #number(username: string, identityKey: Uint8Array): string {
    return safetyNumber(this.ports.self, { username: homedUsername(username), identityKey });
  }

  /**
   * The fingerprint and safety number of `username`'s changed key awaiting /trust, or undefined
   * when its key has not changed.
   */
  pending(username: string): { fingerprint: string; safetyNumber: string } | undefined {
    const key = this.ports.contacts.get(username)?.pendingKey;
    if (key === undefined) return undefined;
    return {
      fingerprint: keyFingerprint(username, key),
      safetyNumber: this.#number(username, key),
    };
  }

  /**
   * Trusts `username`'s changed key if `seen` is its fingerprint (30 digits) or the safety number
   * with it (60 digits), as shown to the user. The held messages stay held. Returns how many
   * there are, or undefined when the key has not changed.
   * @throws FingerprintMismatchError when `seen` is not the pending key's (it changed again, or
   * was mistyped).
   */
  trust(username: string, seen: string): number | undefined {
    const { contacts, outbox, now } = this.ports;
    const key = contacts.get(username)?.pendingKey;
    if (key === undefined) return undefined;
    const typed = digitsOf(seen);
    const expected = typed.length === 30
      ? digitsOf(keyFingerprint(username, key))
      : digitsOf(this.#number(username, key));
    const running = this.ports.running();
    if (typed !== expected || !running.trust.accept(username, key, now())) {
      throw new FingerprintMismatchError(
        `Cannot trust ${username}: ${seen} is not the fingerprint of ${username}'s current new ` +
          `key (did it change again?); type /trust ${username} to see it`,
      );
    }
    running.outgoing.forget(username);
    running.recertify(username);
    return outbox.heldCount(username);
  }

  /**
   * Marks `username` verified if `seen` is the safety number with its pinned key, as shown to
   * the user: a later key change blocks.
   * @throws FingerprintMismatchError when it is not (the key changed, or it was mistyped);
   * RangeError when `username` is not a contact.
   */
  markVerified(username: string, seen: string): void {
    const { contacts, now } = this.ports;
    const contact = contacts.get(username);
    if (contact === undefined) throw new RangeError(`${username} is not a contact`);
    if (digitsOf(seen) !== digitsOf(this.#number(username, contact.identityKey))) {
      throw new FingerprintMismatchError(
        `Cannot verify ${username}: ${seen} is not your safety number with ${username}'s key ` +
          `(did it change?); type /verify ${username} to see it`,
      );
    }
    contacts.setVerified(username, true, now());
  }

  /** `username`'s held messages, oldest first, decrypted for showing. */
  async held(username: string): Promise<HeldMessage[]> {
    const held: HeldMessage[] = [];
    for (const entry of this.ports.outbox.held(username)) {
      const plaintext = await openOutboxBody(this.ports.storageKey, entry.body, entry.messageId);
      const content = Content.decode(plaintext);
      held.push({
        id: toHex(entry.messageId),
        text: content.text,
        kind: content.kind,
        writtenAt: entry.createdAt,
      });
    }
    return held;
  }

  /**
   * Sends `username`'s held messages to its trusted key. Returns how many, or undefined while its
   * key change is not trusted (they stay held).
   */
  resendHeld(username: string): number | undefined {
    if (this.ports.contacts.get(username)?.pendingKey !== undefined) return undefined;
    const released = this.ports.outbox.release(username, this.ports.now());
    void this.ports.running().outgoing.flush(username);
    return released;
  }

  /** Gives up `username`'s held messages (each reported failed). Returns how many. */
  discardHeld(username: string): number {
    const { outbox, now } = this.ports;
    const { outgoing } = this.ports.running();
    const reason = `discarded: held when ${username}'s key changed`;
    const held = outbox.held(username);
    for (const entry of held) {
      outbox.setStatus(entry.messageId, "failed", now(), reason);
      outgoing.failed(toHex(entry.messageId), username, reason);
    }
    return held.length;
  }

  /**
   * What the rendezvous says of `username` now, and the key log behind it.
   * @throws RemoteError E_NOT_FOUND for an unknown user; StatementError for a bad certificate.
   */
  async whois(username: string): Promise<Whois> {
    const { user, certificate, log } = await this.ports.running().directory.whois(
      username,
      this.ports.now(),
    );
    const contact = this.ports.contacts.get(username);
    return {
      username,
      certified: {
        fingerprint: keyFingerprint(username, user.identityKey),
        standing: user.standing,
        issuedAt: Number(certificate.issuedAt),
        expiresAt: Number(certificate.expiresAt),
      },
      ...(contact === undefined ? {} : {
        pinned: {
          fingerprint: keyFingerprint(username, contact.identityKey),
          verified: contact.verified,
          firstSeen: contact.firstSeen,
        },
      }),
      ...(contact?.pendingKey === undefined
        ? {}
        : { pendingFingerprint: keyFingerprint(username, contact.pendingKey) }),
      keyLog: log.entries.map((e) => ({
        seq: Number(e.seq),
        fingerprint: keyFingerprint(username, e.identityKey),
        at: Number(e.at),
      })),
      keyLogVerified: log.ok,
      ...(log.ok ? {} : { problem: { kind: log.problem, message: log.message } }),
    };
  }
}
