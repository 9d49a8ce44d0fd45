/**
 * Trust in other users' identity keys: every key comes from a certificate the rendezvous signed,
 * recorded in the rendezvous's key log, which must extend the log we saw before (key_log.ts);
 * the first key seen for a username is pinned (TOFU); a different key later is a key change —
 * outgoing messages are held (contact_trust.ts), and a contact marked verified is blocked
 * outright. A key retired from an account (it moved to another key) is never again accepted as
 * that account.
 */
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { PeerId } from "@libp2p/interface";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import { bytesEqual } from "../crypto/bytes.ts";
import { verifyCertificate } from "../crypto/statements.ts";
import type { Certificate } from "../proto/certificate.ts";
import type { FetchedKeyLog } from "./clients/directory.ts";
import type { Issuer } from "./federation/issuers.ts";
import { checkKeyLog, type KeyLogCheck, retiredKeys } from "./key_log.ts";
import type { Contact, ContactStore } from "./store/contacts.ts";
import type { KeyLogHeadStore } from "./store/key_log_heads.ts";

/** How a certified key compares with what we pinned. */
export type KeyStanding =
  /** First contact: the key is now pinned. */
  | "new"
  /** The pinned key. */
  | "trusted"
  /** A different key than pinned; messages to this user are held until /trust. */
  | "changed"
  /** A different key than pinned for a verified contact: blocked until /trust. */
  | "blocked"
  /** A key this account moved away from: never accepted again. */
  | "retired";

/** The judgement of one certified key. */
export interface Judgement {
  readonly username: string;
  readonly identityKey: Uint8Array;
  readonly standing: KeyStanding;
  /** When the certificate expires (ms since the Unix epoch): judge again by then. */
  readonly expiresAt: number;
  /** What is wrong with the rendezvous's key log for this user, said for the user. */
  readonly warning?: string;
}

/** Pure: how `certifiedKey` stands against the stored `contact`. */
export function judgeKey(
  contact: Contact | undefined,
  certifiedKey: Uint8Array,
  retired = false,
): KeyStanding {
  if (retired) return "retired";
  if (contact === undefined) return "new";
  if (bytesEqual(contact.identityKey, certifiedKey)) return "trusted";
  return contact.verified ? "blocked" : "changed";
}

/** Whether messages may go to a key of this standing (the pinned key, or a first one). */
export function isAccepted(standing: KeyStanding): boolean {
  return standing === "trusted" || standing === "new";
}

/** A key the rendezvous certificate does not vouch for. */
export class UntrustedKeyError extends Error {
  override name = "UntrustedKeyError";
}

/** The PeerId of a raw Ed25519 identity key. */
export function peerIdOfKey(identityKey: Uint8Array): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(identityKey));
}

/**
 * Fetches the signed key log of `name` (`bob`, or `bob@work` through our home), oldest first.
 * @throws RemoteError when the rendezvous refuses.
 */
export type KeyLogSource = (name: string) => Promise<FetchedKeyLog>;

/** Who signs the statements for a name (federation/issuers.ts). */
export interface IssuerSource {
  /**
   * @throws StatementError when a remote name's vouch is missing or bad, or its server's key
   * changed.
   */
  of(name: string, vouch: Uint8Array | undefined, now: number): Promise<Issuer>;
}

/** Applies certificates (and the key logs behind them) to the contact store. */
export class Trust {
  constructor(
    private readonly contacts: ContactStore,
    private readonly heads: KeyLogHeadStore,
    private readonly issuers: IssuerSource,
    private readonly keyLogs: KeyLogSource,
  ) {}

  /**
   * Verifies a certificate for `username` (a remote `bob@work`'s with the key our home's
   * `vouch` names for `work`), checks it against the key log (fetched when the certificate is not
   * the one the last verified head ends with), and judges its key, pinning a first key and
   * recording a changed one as pending.
   * @throws StatementError when the certificate or vouch does not verify; UntrustedKeyError when
   * it is for another user; RemoteError when the key log cannot be fetched.
   */
  async judgeCertificate(
    username: string,
    certificate: Uint8Array,
    now: number,
    vouch?: Uint8Array,
  ): Promise<Judgement> {
    const cert = await this.certificate(username, certificate, now, vouch);
    const warning = await this.#checkLog(username, cert, now);
    const contact = this.contacts.get(username);
    const retired = this.contacts.isRetired(username, cert.identityKey);
    const standing = judgeKey(contact, cert.identityKey, retired);
    if (standing === "new") {
      this.contacts.pin(username, cert.identityKey, now);
    }
    if (
      (standing === "changed" || standing === "blocked") &&
      !(contact?.pendingKey && bytesEqual(contact.pendingKey, cert.identityKey))
    ) {
      this.contacts.setPending(username, cert.identityKey, now);
    }
    const judged = {
      username,
      identityKey: cert.identityKey,
      standing,
      expiresAt: Number(cert.expiresAt),
    };
    const why = retired && warning === undefined
      ? `the rendezvous certifies for ${username} a key that ${username}'s account retired`
      : warning;
    return why === undefined ? judged : { ...judged, warning: why };
  }

  /**
   * Verifies `certificate` as `name`'s: signed by its issuer, for its username there.
   * @throws StatementError when it (or the vouch) does not verify; UntrustedKeyError when it is
   * for another user.
   */
  async certificate(
    name: string,
    certificate: Uint8Array,
    now: number,
    vouch?: Uint8Array,
  ): Promise<Certificate> {
    const issuer = await this.issuers.of(name, vouch, now);
    const cert = await verifyCertificate(certificate, issuer.key, now);
    if (cert.username !== issuer.username) {
      throw new UntrustedKeyError(
        `${issuer.server ?? "the rendezvous"} sent a certificate for ${cert.username}, not ` +
          issuer.username,
      );
    }
    return cert;
  }

  /**
   * Checks `cert` against the key log when it is not the one last verified; records a log that
   * extends the head (and the keys it retired). Returns what is wrong, if anything.
   */
  async #checkLog(username: string, cert: Certificate, now: number): Promise<string | undefined> {
    const seen = this.heads.get(username);
    if (
      seen !== undefined && seen.length === Number(cert.keyLogLength) &&
      bytesEqual(seen.identityKey, cert.identityKey)
    ) {
      return undefined;
    }
    const check = await this.keyLog(username, cert, now);
    if (!check.ok) return check.message;
    this.heads.set(username, check.head);
    for (const key of retiredKeys(check.entries)) this.contacts.retire(username, key, now);
    return undefined;
  }

  /**
   * Fetches and checks `username`'s key log against `cert` and the head last verified.
   * @throws RemoteError when the key log cannot be fetched.
   */
  async keyLog(username: string, cert: Certificate, now: number): Promise<KeyLogCheck> {
    const contact = this.contacts.get(username);
    const log = await this.keyLogs(username);
    const issuer = await this.issuers.of(username, log.vouch, now);
    return await checkKeyLog({
      username,
      loggedAs: issuer.username,
      statements: log.statements,
      certificate: cert,
      seen: this.heads.get(username),
      pinnedKey: contact?.identityKey,
      rendezvousKey: issuer.key,
      now,
    });
  }

  /**
   * Trusts `username`'s pending key, if it is still `pendingKey` (the key whose fingerprint the
   * user confirmed): it becomes the pinned key and the old one is retired. A key-log head that
   * does not end with it (the log did not extend the one seen) is forgotten, so that the log
   * behind the trusted key becomes the head. Returns whether it was trusted.
   */
  accept(username: string, pendingKey: Uint8Array, now: number): boolean {
    if (!this.contacts.acceptPending(username, pendingKey, now)) return false;
    const head = this.heads.get(username);
    if (head && !bytesEqual(head.identityKey, pendingKey)) this.heads.delete(username);
    return true;
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
