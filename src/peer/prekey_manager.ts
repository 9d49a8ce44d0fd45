/**
 * Our prekeys: the X25519 identity-DH key (made once), a signed prekey rotated weekly (old ones
 * kept for a grace period to answer late first messages), and a pool of one-time prekeys kept at
 * the rendezvous: 100 uploaded, replenished when fewer than 20 are left. For PQXDH likewise an
 * ML-KEM-768 last-resort prekey on the signed prekey's schedule (a replaced one kept for the same
 * grace period, counted from its replacement), sent on every upload, and a pool of 100 one-time
 * ML-KEM-768 prekeys refilled below 20; KEM prekey ids are random (see #freshKemId).
 */
import type { PrivateKey } from "@libp2p/interface";
import { generateKemKeyPair, type KemKeyPairSource } from "../crypto/kem.ts";
import { PrekeyKind, signPrekey } from "../crypto/prekeys.ts";
import { generateX25519KeyPair, type X25519KeyPair } from "../crypto/primitives.ts";
import { MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD } from "../protocol/limits.ts";
import { checkpointWal, transaction } from "../store/database.ts";
import { type OwnKey, type OwnKeyStore, publicForm } from "./store/own_keys.ts";
import {
  type KemPrekeyKind,
  type OwnKemKey,
  type OwnKemKeyStore,
  publicKemForm,
} from "./store/own_kem_keys.ts";
import type { PrekeysLeft, PrekeyUpload } from "./clients/directory.ts";
import type { DatabaseSync } from "node:sqlite";

export const ONE_TIME_POOL = 100;
/** One-time ML-KEM-768 prekeys kept at the rendezvous (one upload's worth). */
export const KEM_ONE_TIME_POOL = MAX_KEM_ONE_TIME_PREKEYS_PER_UPLOAD;
export const REPLENISH_BELOW = 20;
export const SIGNED_PREKEY_ROTATION_MS = 7 * 24 * 60 * 60 * 1000;
/** A replaced signed (or last-resort KEM) prekey still answers first messages this long. */
export const SIGNED_PREKEY_GRACE_MS = 14 * 24 * 60 * 60 * 1000;
/** Unused one-time prekeys this old are dropped locally (the rendezvous no longer has them). */
export const ONE_TIME_MAX_AGE_MS = 180 * 24 * 60 * 60 * 1000;

/** Sends an upload to the rendezvous (clients/directory.ts uploadPrekeys); tests fake it. */
export type PrekeyUploader = (keys: PrekeyUpload) => Promise<PrekeysLeft>;

/** Where our keys are kept. */
export interface PrekeyStores {
  readonly ownKeys: OwnKeyStore;
  readonly kemKeys: OwnKemKeyStore;
}

/** Creates, rotates and publishes our prekeys. */
export class PrekeyManager {
  readonly #keys: OwnKeyStore;
  readonly #kemKeys: OwnKemKeyStore;

  constructor(
    private readonly identity: PrivateKey,
    stores: PrekeyStores,
    private readonly db: DatabaseSync,
    private readonly generateKem: KemKeyPairSource = generateKemKeyPair,
  ) {
    this.#keys = stores.ownKeys;
    this.#kemKeys = stores.kemKeys;
  }

  /** Our X25519 identity-DH key pair, created on first use. */
  async identityDh(now: number): Promise<X25519KeyPair> {
    const existing = this.#keys.get(PrekeyKind.IdentityDh, 0);
    if (existing) return existing.pair;
    return (await this.#create(PrekeyKind.IdentityDh, 0, now)).pair;
  }

  /**
   * Makes sure the rendezvous has our current keys: rotates the signed prekey and the last-resort
   * KEM prekey when a week old, uploads, and refills the one-time pools (X25519, and ML-KEM when
   * the rendezvous speaks PQXDH) when they run low. Returns the pool sizes there.
   * @throws RemoteError when the rendezvous refuses the upload.
   */
  async publish(upload: PrekeyUploader, now: number): Promise<PrekeysLeft> {
    const identityDh = this.#keys.get(PrekeyKind.IdentityDh, 0) ??
      await this.#create(PrekeyKind.IdentityDh, 0, now);
    let signed = this.#keys.newest(PrekeyKind.Signed);
    if (signed === undefined || now - signed.createdAt >= SIGNED_PREKEY_ROTATION_MS) {
      signed = await this.#create(PrekeyKind.Signed, this.#keys.nextId(PrekeyKind.Signed), now);
    }
    let lastResort = this.#kemKeys.current(PrekeyKind.KemLastResort);
    if (lastResort === undefined || now - lastResort.createdAt >= SIGNED_PREKEY_ROTATION_MS) {
      const [fresh] = await this.#createKem(PrekeyKind.KemLastResort, 1, now);
      lastResort = fresh!;
    }
    this.#keys.deleteReplacedBefore(PrekeyKind.Signed, now - SIGNED_PREKEY_GRACE_MS);
    this.#keys.deleteOlderThan(PrekeyKind.OneTime, now - ONE_TIME_MAX_AGE_MS);
    this.#kemKeys.deleteReplacedBefore(PrekeyKind.KemLastResort, now - SIGNED_PREKEY_GRACE_MS);
    this.#kemKeys.deleteCreatedBefore(PrekeyKind.KemOneTime, now - ONE_TIME_MAX_AGE_MS);
    checkpointWal(this.db); // the deleted private keys leave the WAL too
    const longTerm = { identityDhKey: publicForm(identityDh), signedPrekey: publicForm(signed) };
    const lastResortPrekey = publicKemForm(lastResort);
    let left = await upload({
      ...longTerm,
      oneTimePrekeys: [],
      kemPrekeys: { lastResortPrekey, oneTimePrekeys: [] },
    });
    const kemLeft = left.kemOneTime;
    // More at the rendezvous than we hold private keys for: this profile lost them (repaired).
    // First messages on those would never open: replace both whole pools, X25519 and KEM.
    const lost = left.oneTime > this.#keys.count(PrekeyKind.OneTime) ||
      (kemLeft !== undefined && kemLeft > this.#kemKeys.count(PrekeyKind.KemOneTime));
    const refillKem = kemLeft !== undefined && (kemLeft < REPLENISH_BELOW || lost);
    if (left.oneTime < REPLENISH_BELOW || refillKem || lost) {
      const missing = lost
        ? ONE_TIME_POOL
        : left.oneTime < REPLENISH_BELOW
        ? ONE_TIME_POOL - left.oneTime
        : 0;
      const fresh: OwnKey[] = [];
      for (let i = 0; i < missing; i++) {
        fresh.push(
          await this.#create(PrekeyKind.OneTime, this.#keys.nextId(PrekeyKind.OneTime), now),
        );
      }
      const freshKem = refillKem
        ? await this.#createKem(
          PrekeyKind.KemOneTime,
          KEM_ONE_TIME_POOL - (lost ? 0 : kemLeft),
          now,
        )
        : [];
      left = await upload({
        ...longTerm,
        oneTimePrekeys: fresh.map(publicForm),
        kemPrekeys: { lastResortPrekey, oneTimePrekeys: freshKem.map(publicKemForm) },
        ...(lost ? { replaceOneTimePrekeys: true } : {}),
      });
    }
    return left;
  }

  async #create(kind: PrekeyKind, id: number, now: number): Promise<OwnKey> {
    const pair = await generateX25519KeyPair();
    const { signature } = await signPrekey(kind, id, pair.publicKey, this.identity);
    const key: OwnKey = { kind, id, pair, signature, createdAt: now };
    transaction(this.db, () => this.#keys.add(key));
    return key;
  }

  /**
   * A random KEM prekey id in [1, 2^31) that names no key of `kind` here (nor in `taken`). Random
   * rather than a counter: the rendezvous refuses another key under an id it still stores, and
   * two profiles with one identity (a copied or restored profile) would count alike; among the
   * at most 201 KEM prekeys the rendezvous keeps, a repeat has odds of about 1 in 10 million.
   */
  #freshKemId(kind: KemPrekeyKind, taken: readonly OwnKemKey[]): number {
    for (;;) {
      const id = (crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1) || 1;
      if (this.#kemKeys.get(kind, id) === undefined && !taken.some((k) => k.id === id)) {
        return id;
      }
    }
  }

  /**
   * Makes, signs and stores `count` new KEM prekeys of `kind` in one transaction; a new
   * last-resort prekey marks the one it replaces as replaced now.
   */
  async #createKem(kind: KemPrekeyKind, count: number, now: number): Promise<OwnKemKey[]> {
    const made: OwnKemKey[] = [];
    for (let i = 0; i < count; i++) {
      const pair = this.generateKem();
      const id = this.#freshKemId(kind, made);
      const { signature } = await signPrekey(kind, id, pair.publicKey, this.identity);
      made.push({ kind, id, pair, signature, createdAt: now });
    }
    transaction(this.db, () => {
      for (const key of made) this.#kemKeys.add(key);
      const newest = made.at(-1);
      if (kind === PrekeyKind.KemLastResort && newest) {
        this.#kemKeys.replaceAllBut(kind, newest.id, now);
      }
    });
    return made;
  }
}
