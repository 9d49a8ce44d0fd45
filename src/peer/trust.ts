/**
 * Trust in other users' identity keys: every key comes from a certificate the rendezvous signed;
 * the first key seen for a username is pinned (TOFU); a different key later is a key change —
 * outgoing messages are held until /trust, and a contact marked verified is blocked outright.
 */
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { PeerId, PublicKey } from "@libp2p/interface";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import { bytesEqual } from "../crypto/bytes.ts";
import { verifyCertificate } from "../crypto/statements.ts";
import type { Contact, ContactStore } from "./store/contacts.ts";

/** How a certified key compares with what we pinned. */
export type KeyStanding =
  /** First contact: the key is now pinned. */
  | "new"
  /** The pinned key. */
  | "trusted"
  /** A different key than pinned; messages to this user are held until /trust. */
  | "changed"
  /** A different key than pinned for a verified contact: blocked until /trust. */
  | "blocked";

/** The judgement of one certified key. */
export interface Judgement {
  readonly username: string;
  readonly identityKey: Uint8Array;
  readonly standing: KeyStanding;
}

/** Pure: how `certifiedKey` stands against the stored `contact`. */
export function judgeKey(contact: Contact | undefined, certifiedKey: Uint8Array): KeyStanding {
  if (contact === undefined) return "new";
  if (bytesEqual(contact.identityKey, certifiedKey)) return "trusted";
  return contact.verified ? "blocked" : "changed";
}

/** A key the rendezvous certificate does not vouch for. */
export class UntrustedKeyError extends Error {
  override name = "UntrustedKeyError";
}

/** The PeerId of a raw Ed25519 identity key. */
export function peerIdOfKey(identityKey: Uint8Array): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(identityKey));
}

/** Applies certificates to the contact store. */
export class Trust {
  constructor(
    private readonly contacts: ContactStore,
    private readonly rendezvousKey: PublicKey,
  ) {}

  /**
   * Verifies a certificate for `username` and judges its key, pinning a first key and recording
   * a changed one as pending.
   * @throws StatementError when the certificate does not verify; UntrustedKeyError when it is for
   * another user.
   */
  async judgeCertificate(
    username: string,
    certificate: Uint8Array,
    now: number,
  ): Promise<Judgement> {
    const cert = await verifyCertificate(certificate, this.rendezvousKey, now);
    if (cert.username !== username) {
      throw new UntrustedKeyError(
        `the rendezvous sent a certificate for ${cert.username}, not ${username}`,
      );
    }
    const contact = this.contacts.get(username);
    const standing = judgeKey(contact, cert.identityKey);
    if (standing === "new") this.contacts.pin(username, cert.identityKey, now);
    if (
      (standing === "changed" || standing === "blocked") &&
      !(contact?.pendingKey && bytesEqual(contact.pendingKey, cert.identityKey))
    ) {
      this.contacts.setPending(username, cert.identityKey, now);
    }
    return { username, identityKey: cert.identityKey, standing };
  }

  /** The contact `username`. */
  contact(username: string): Contact | undefined {
    return this.contacts.get(username);
  }

  /** The contact whose pinned or pending key is `identityKey`. */
  contactByKey(identityKey: Uint8Array): Contact | undefined {
    return this.contacts.byKey(identityKey);
  }
}
