/** Test doubles: in-memory parties with identities and prekeys, and session set-up. */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { generateKemKeyPair, type KemKeyPair } from "../../src/crypto/kem.ts";
import type { PqxdhBundle } from "../../src/crypto/pqxdh.ts";
import { PrekeyKind, signPrekey } from "../../src/crypto/prekeys.ts";
import {
  generateX25519KeyPair,
  type KeyPairSource,
  type Signer,
  signerFromPrivateKey,
  x25519,
  type X25519KeyPair,
} from "../../src/crypto/primitives.ts";
import { ratchetInitAlice, ratchetInitBob, type RatchetState } from "../../src/crypto/ratchet.ts";
import { initiate, type PrekeyBundle, respond } from "../../src/crypto/x3dh.ts";

/** A party with an Ed25519 identity, an identity-DH key, a signed and a one-time prekey. */
export interface Party {
  readonly key: PrivateKey;
  readonly signer: Signer;
  readonly identityKey: Uint8Array;
  readonly identityDh: X25519KeyPair;
  readonly signedPrekey: X25519KeyPair;
  readonly oneTimePrekey: X25519KeyPair;
  readonly bundle: PrekeyBundle;
  readonly bundleWithoutOneTime: PrekeyBundle;
}

/** A fresh party; prekey ids are 7 (signed) and 42 (one-time). */
export async function makeParty(): Promise<Party> {
  const key = await generateKeyPair("Ed25519");
  const identityDh = await generateX25519KeyPair();
  const signedPrekey = await generateX25519KeyPair();
  const oneTimePrekey = await generateX25519KeyPair();
  const bundleWithoutOneTime = {
    identityKey: key.publicKey.raw,
    identityDhKey: await signPrekey(PrekeyKind.IdentityDh, 0, identityDh.publicKey, key),
    signedPrekey: await signPrekey(PrekeyKind.Signed, 7, signedPrekey.publicKey, key),
  };
  return {
    key,
    signer: signerFromPrivateKey(key),
    identityKey: key.publicKey.raw,
    identityDh,
    signedPrekey,
    oneTimePrekey,
    bundleWithoutOneTime,
    bundle: {
      ...bundleWithoutOneTime,
      oneTimePrekey: await signPrekey(PrekeyKind.OneTime, 42, oneTimePrekey.publicKey, key),
    },
  };
}

/** A party that also publishes PQXDH's KEM prekeys. */
export interface PqParty extends Party {
  readonly kemLastResort: KemKeyPair;
  readonly kemOneTime: KemKeyPair;
  /** Its bundle with the last-resort KEM prekey and, when `oneTimeKem`, the one-time one. */
  pqBundle(options: { oneTimeEc: boolean; oneTimeKem: boolean }): PqxdhBundle;
}

/** A fresh PQXDH party; KEM prekey ids are 5 (last-resort) and 77 (one-time). */
export async function makePqParty(): Promise<PqParty> {
  const party = await makeParty();
  const kemLastResort = generateKemKeyPair();
  const kemOneTime = generateKemKeyPair();
  const lastResort = await signPrekey(
    PrekeyKind.KemLastResort,
    5,
    kemLastResort.publicKey,
    party.key,
  );
  const oneTime = await signPrekey(PrekeyKind.KemOneTime, 77, kemOneTime.publicKey, party.key);
  return {
    ...party,
    kemLastResort,
    kemOneTime,
    pqBundle: ({ oneTimeEc, oneTimeKem }) => ({
      ...(oneTimeEc ? party.bundle : party.bundleWithoutOneTime),
      kemLastResortPrekey: lastResort,
      ...(oneTimeKem ? { kemOneTimePrekey: oneTime } : {}),
    }),
  };
}

/** The X25519 base point (u = 9): a private key times it is the public key (RFC 7748). */
export const X25519_BASE_POINT = Uint8Array.of(9, ...new Uint8Array(31));

/** The key pair of a raw X25519 private key (its public key recomputed), for fixed test keys. */
export async function x25519PairOf(privateKey: Uint8Array): Promise<X25519KeyPair> {
  return { privateKey, publicKey: await x25519(privateKey, X25519_BASE_POINT) };
}

/** A deterministic key-pair source: private keys 1, 2, 3 … (as 32-byte little-endian fills). */
export function countingKeyPairs(seed = 1): KeyPairSource {
  let next = seed;
  return async () => {
    const privateKey = new Uint8Array(32).fill(next++ & 0xff);
    privateKey[31] = 0x40;
    return await x25519PairOf(privateKey);
  };
}

/** X3DH from alice to bob (with bob's one-time prekey), then both ratchets initialised. */
export async function establish(
  alice: Party,
  bob: Party,
): Promise<{ alice: RatchetState; bob: RatchetState; associatedData: Uint8Array }> {
  const init = await initiate(alice, bob.bundle);
  const secret = await respond(
    { ...bob, oneTimePrekey: bob.oneTimePrekey },
    {
      identityKey: alice.identityKey,
      identityDhKey: init.identityDhKey,
      ephemeralKey: init.ephemeralPublic,
      oneTimePrekeyId: 42,
    },
  );
  return {
    alice: await ratchetInitAlice(init.sharedKey, init.signedPrekeyPublic, init.associatedData),
    bob: ratchetInitBob(secret.sharedKey, bob.signedPrekey, secret.associatedData),
    associatedData: init.associatedData,
  };
}

/** Text as bytes. */
export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Bytes as text. */
export function untext(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** A copy of `bytes` with one bit flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = new Uint8Array(bytes); // not slice(): a Buffer's slice aliases
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}
