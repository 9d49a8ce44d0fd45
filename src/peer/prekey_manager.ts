/**
 * Our prekeys: the X25519 identity-DH key (made once), a signed prekey rotated weekly (old ones
 * kept for a grace period to answer late first messages), and a pool of one-time prekeys kept at
 * the rendezvous: 100 uploaded, replenished when fewer than 20 are left.
 */
import type { PrivateKey } from "@libp2p/interface";
import { PrekeyKind, signPrekey } from "../crypto/prekeys.ts";
import { generateX25519KeyPair, type X25519KeyPair } from "../crypto/primitives.ts";
import type { TincanNode } from "../net/node.ts";
import { transaction } from "../store/database.ts";
import { type OwnKey, type OwnKeyStore, publicForm } from "./store/own_keys.ts";
import type { Target } from "../net/dial.ts";
import { uploadPrekeys } from "./clients/directory.ts";
import type { DatabaseSync } from "node:sqlite";

export const ONE_TIME_POOL = 100;
export const REPLENISH_BELOW = 20;
export const SIGNED_PREKEY_ROTATION_MS = 7 * 24 * 60 * 60 * 1000;
/** A replaced signed prekey still answers first messages this long. */
export const SIGNED_PREKEY_GRACE_MS = 14 * 24 * 60 * 60 * 1000;
/** Unused one-time prekeys this old are dropped locally (the rendezvous no longer has them). */
export const ONE_TIME_MAX_AGE_MS = 180 * 24 * 60 * 60 * 1000;

/** Creates, rotates and publishes our prekeys. */
export class PrekeyManager {
  constructor(
    private readonly identity: PrivateKey,
    private readonly keys: OwnKeyStore,
    private readonly db: DatabaseSync,
  ) {}

  /** Our X25519 identity-DH key pair, created on first use. */
  async identityDh(now: number): Promise<X25519KeyPair> {
    const existing = this.keys.get(PrekeyKind.IdentityDh, 0);
    if (existing) return existing.pair;
    return (await this.#create(PrekeyKind.IdentityDh, 0, now)).pair;
  }

  /**
   * Makes sure the rendezvous has our current keys: rotates the signed prekey when a week old,
   * uploads, and refills the one-time pool when it runs low. Returns the pool size there.
   * @throws RemoteError when the rendezvous refuses the upload.
   */
  async publish(node: TincanNode, rendezvous: Target, now: number): Promise<number> {
    const identityDh = this.keys.get(PrekeyKind.IdentityDh, 0) ??
      await this.#create(PrekeyKind.IdentityDh, 0, now);
    let signed = this.keys.newest(PrekeyKind.Signed);
    if (signed === undefined || now - signed.createdAt >= SIGNED_PREKEY_ROTATION_MS) {
      signed = await this.#create(PrekeyKind.Signed, this.keys.nextId(PrekeyKind.Signed), now);
    }
    this.keys.deleteOlderThan(PrekeyKind.Signed, now - SIGNED_PREKEY_GRACE_MS);
    this.keys.deleteOlderThan(PrekeyKind.OneTime, now - ONE_TIME_MAX_AGE_MS);
    const upload = { identityDhKey: publicForm(identityDh), signedPrekey: publicForm(signed) };
    let left = await uploadPrekeys(node, rendezvous, { ...upload, oneTimePrekeys: [] });
    // More at the rendezvous than we hold private keys for: this profile lost them (repaired).
    // First messages on those would never open: replace the whole pool.
    const lost = left > this.keys.count(PrekeyKind.OneTime);
    if (left < REPLENISH_BELOW || lost) {
      const fresh: OwnKey[] = [];
      for (let i = lost ? 0 : left; i < ONE_TIME_POOL; i++) {
        fresh.push(
          await this.#create(PrekeyKind.OneTime, this.keys.nextId(PrekeyKind.OneTime), now),
        );
      }
      left = await uploadPrekeys(node, rendezvous, {
        ...upload,
        oneTimePrekeys: fresh.map(publicForm),
        replaceOneTimePrekeys: lost,
      });
    }
    return left;
  }

  async #create(kind: PrekeyKind, id: number, now: number): Promise<OwnKey> {
    const pair = await generateX25519KeyPair();
    const { signature } = await signPrekey(kind, id, pair.publicKey, this.identity);
    const key: OwnKey = { kind, id, pair, signature, createdAt: now };
    transaction(this.db, () => this.keys.add(key));
    return key;
  }
}
