/**
 * X3DH key agreement, as in Signal's specification (revision 1, 2016-11-04), with X25519 and
 * SHA-256. The responder ("Bob") publishes a bundle; the initiator ("Alice") computes
 *
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)  [DH4 = DH(EK_A, OPK_B)]
 *   SK  = HKDF-SHA-256(ikm = F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4], salt = 32 zero bytes,
 *                      info = "tincan-x3dh-v1", 32 bytes), F = 32 bytes of 0xFF
 *   AD  = "tincan-ad-v1" ‖ Ed25519 IK_A ‖ X25519 IK_A ‖ Ed25519 IK_B ‖ X25519 IK_B (32 bytes each)
 *
 * Each party's identity is an Ed25519 key (its PeerId) plus an X25519 identity-DH key that the
 * Ed25519 key signs (prekeys.ts, PrekeyKind.IdentityDh); every X25519 key of the bundle is checked
 * against its signature, of its own kind, before it is used.
 */
import type { SignedKey } from "../proto/services.ts";
import { PrekeyKind, verifyPrekey } from "./prekeys.ts";
import {
  checkLength,
  concat,
  copyBytes,
  ED25519_PUBLIC_BYTES,
  generateX25519KeyPair,
  hkdfSha256,
  type KeyPairSource,
  x25519,
  X25519_BYTES,
  type X25519KeyPair,
} from "./primitives.ts";

const encoder = new TextEncoder();
const KDF_INFO = encoder.encode("tincan-x3dh-v1");
const AD_PREFIX = encoder.encode("tincan-ad-v1");
/** F of Signal's KDF for curve25519: 32 bytes of 0xFF, never a valid scalar or point encoding. */
const F = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);

/** Bytes of the X3DH shared secret SK. */
export const SHARED_KEY_BYTES = 32;
/** Bytes of the associated data AD: its prefix and four 32-byte keys. */
export const ASSOCIATED_DATA_BYTES = AD_PREFIX.length + 4 * 32;

/** A prekey bundle that does not verify, or an X3DH message that cannot be answered. */
export class X3dhError extends Error {
  override name = "X3dhError";
}

/** The responder's published keys, as fetched from its rendezvous directory. */
export interface PrekeyBundle {
  /** The responder's raw Ed25519 identity key, already trusted by the caller (certificate, pin). */
  readonly identityKey: Uint8Array;
  /** X25519 identity-DH key, signed as PrekeyKind.IdentityDh. */
  readonly identityDhKey: SignedKey;
  /** X25519 signed prekey, signed as PrekeyKind.Signed. */
  readonly signedPrekey: SignedKey;
  /** X25519 one-time prekey, signed as PrekeyKind.OneTime, when the directory had one left. */
  readonly oneTimePrekey?: SignedKey;
}

/** A party's long-term keys: its Ed25519 identity (public) and its X25519 identity-DH pair. */
export interface X3dhIdentity {
  readonly identityKey: Uint8Array;
  readonly identityDh: X25519KeyPair;
}

/** What both sides end with. */
export interface X3dhSecret {
  /** SK: the Double Ratchet's first root key. */
  readonly sharedKey: Uint8Array;
  /** AD: the associated data of every ratchet message of the session. */
  readonly associatedData: Uint8Array;
}

/** The initiator's result: the secret plus what its first message must carry (PrekeyHeader). */
export interface X3dhInitiation extends X3dhSecret {
  /** The initiator's X25519 identity key, for the header. */
  readonly identityDhKey: Uint8Array;
  /** EK_A public. */
  readonly ephemeralPublic: Uint8Array;
  readonly signedPrekeyId: number;
  readonly oneTimePrekeyId?: number;
  /** SPK_B public: RatchetInitAlice's first ratchet key of the responder. */
  readonly signedPrekeyPublic: Uint8Array;
}

/** The X3DH fields of an initiator's first message, as the responder received them. */
export interface X3dhMessage {
  /** The initiator's raw Ed25519 identity key (the envelope's verified sender). */
  readonly identityKey: Uint8Array;
  /** The initiator's X25519 identity-DH key. */
  readonly identityDhKey: Uint8Array;
  /** EK_A public. */
  readonly ephemeralKey: Uint8Array;
}

/** The responder's private keys for one X3DH message, looked up by the ids it names. */
export interface X3dhResponderKeys extends X3dhIdentity {
  readonly signedPrekey: X25519KeyPair;
  /** Required when the message names a one-time prekey; delete it once used. */
  readonly oneTimePrekey?: X25519KeyPair;
}

/** AD = "tincan-ad-v1" ‖ IK_A (Ed25519) ‖ IK_A (X25519) ‖ IK_B (Ed25519) ‖ IK_B (X25519). */
export function associatedData(
  initiatorIdentityKey: Uint8Array,
  initiatorIdentityDhKey: Uint8Array,
  responderIdentityKey: Uint8Array,
  responderIdentityDhKey: Uint8Array,
): Uint8Array {
  checkLength("the initiator's Ed25519 identity key", initiatorIdentityKey, ED25519_PUBLIC_BYTES);
  checkLength("the initiator's X25519 identity key", initiatorIdentityDhKey, X25519_BYTES);
  checkLength("the responder's Ed25519 identity key", responderIdentityKey, ED25519_PUBLIC_BYTES);
  checkLength("the responder's X25519 identity key", responderIdentityDhKey, X25519_BYTES);
  return concat(
    AD_PREFIX,
    initiatorIdentityKey,
    initiatorIdentityDhKey,
    responderIdentityKey,
    responderIdentityDhKey,
  );
}

/**
 * KDF(KM) of Signal's X3DH and PQXDH (section 2.2 of both): 32 bytes of HKDF-SHA-256 with input
 * key material F ‖ KM (F = 32 bytes of 0xFF), a 32-byte zero salt and `info`. KM is the
 * concatenation of `parts`, which are secrets: the parts and the input are zeroed.
 */
export function deriveSharedKey(info: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const ikm = concat(F, ...parts);
  const sharedKey = hkdfSha256(ikm, ZERO_SALT, info, SHARED_KEY_BYTES);
  ikm.fill(0);
  for (const part of parts) part.fill(0);
  return sharedKey;
}

async function requirePrekey(
  kind: PrekeyKind,
  what: string,
  signed: SignedKey,
  identityKey: Uint8Array,
): Promise<void> {
  if (!await verifyPrekey(kind, signed, identityKey)) {
    throw new X3dhError(`the responder's ${what} is not signed by its identity key`);
  }
}

/** A signed KEM prekey of a bundle and the kind it must be signed as (pqxdh.ts). */
export interface KemPrekeyToCheck {
  readonly kind: PrekeyKind.KemLastResort | PrekeyKind.KemOneTime;
  readonly key: SignedKey;
}

/**
 * Checks every key of a bundle against its signature, of its own kind (X3DH section 3.3; PQXDH
 * section 3.3: "Alice verifies the signatures and aborts the protocol if verification fails"):
 * the X25519 keys, and the KEM prekeys in `kemPrekeys`.
 * @throws X3dhError naming the key whose signature does not verify; RangeError when the
 * identity key is not 32 bytes.
 */
export async function verifyBundle(
  bundle: PrekeyBundle,
  kemPrekeys: readonly KemPrekeyToCheck[] = [],
): Promise<void> {
  checkLength("the responder's Ed25519 identity key", bundle.identityKey, ED25519_PUBLIC_BYTES);
  await requirePrekey(
    PrekeyKind.IdentityDh,
    "identity-DH key",
    bundle.identityDhKey,
    bundle.identityKey,
  );
  await requirePrekey(PrekeyKind.Signed, "signed prekey", bundle.signedPrekey, bundle.identityKey);
  if (bundle.oneTimePrekey) {
    await requirePrekey(
      PrekeyKind.OneTime,
      "one-time prekey",
      bundle.oneTimePrekey,
      bundle.identityKey,
    );
  }
  for (const { kind, key } of kemPrekeys) {
    const what = kind === PrekeyKind.KemOneTime ? "one-time KEM prekey" : "last-resort KEM prekey";
    await requirePrekey(kind, what, key, bundle.identityKey);
  }
}

/**
 * The initiator's half of X3DH and PQXDH once the bundle is verified: DH1, DH2, DH3 [, DH4] with
 * the ephemeral key, then SK = KDF(DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ extra…) under `info`. The ephemeral
 * private key and every part are zeroed when SK is derived (the caller zeroes `extra` if this
 * throws).
 * @throws RangeError when a key is malformed or a low-order point.
 */
export async function agreeAsInitiator(
  initiator: X3dhIdentity,
  bundle: PrekeyBundle,
  ephemeral: X25519KeyPair,
  info: Uint8Array,
  extra: readonly Uint8Array[],
): Promise<X3dhInitiation> {
  const spk = bundle.signedPrekey.publicKey;
  const dhs = [
    await x25519(initiator.identityDh.privateKey, spk),
    await x25519(ephemeral.privateKey, bundle.identityDhKey.publicKey),
    await x25519(ephemeral.privateKey, spk),
  ];
  if (bundle.oneTimePrekey) {
    dhs.push(await x25519(ephemeral.privateKey, bundle.oneTimePrekey.publicKey));
  }
  ephemeral.privateKey.fill(0);
  const result = {
    sharedKey: deriveSharedKey(info, [...dhs, ...extra]),
    associatedData: associatedData(
      initiator.identityKey,
      initiator.identityDh.publicKey,
      bundle.identityKey,
      bundle.identityDhKey.publicKey,
    ),
    identityDhKey: copyBytes(initiator.identityDh.publicKey),
    ephemeralPublic: copyBytes(ephemeral.publicKey),
    signedPrekeyId: bundle.signedPrekey.id,
    signedPrekeyPublic: copyBytes(spk),
  };
  return bundle.oneTimePrekey ? { ...result, oneTimePrekeyId: bundle.oneTimePrekey.id } : result;
}

/**
 * The responder's half of X3DH and PQXDH: the same DH values from its private keys, then
 * SK = KDF(DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ extra…) under `info`; every part is zeroed when SK is
 * derived (the caller zeroes `extra` if this throws).
 * @throws X3dhError when the message names a one-time prekey the caller did not supply (or the
 * reverse); RangeError when a key is malformed or a low-order point.
 */
export async function agreeAsResponder(
  responder: X3dhResponderKeys,
  message: X3dhMessage & { readonly oneTimePrekeyId?: number },
  info: Uint8Array,
  extra: readonly Uint8Array[],
): Promise<X3dhSecret> {
  const namesOneTime = message.oneTimePrekeyId !== undefined;
  if (namesOneTime !== (responder.oneTimePrekey !== undefined)) {
    throw new X3dhError(
      namesOneTime
        ? `one-time prekey ${message.oneTimePrekeyId} is unknown or already used`
        : "a one-time prekey was supplied but the message names none",
    );
  }
  const dhs = [
    await x25519(responder.signedPrekey.privateKey, message.identityDhKey),
    await x25519(responder.identityDh.privateKey, message.ephemeralKey),
    await x25519(responder.signedPrekey.privateKey, message.ephemeralKey),
  ];
  if (responder.oneTimePrekey) {
    dhs.push(await x25519(responder.oneTimePrekey.privateKey, message.ephemeralKey));
  }
  return {
    sharedKey: deriveSharedKey(info, [...dhs, ...extra]),
    associatedData: associatedData(
      message.identityKey,
      message.identityDhKey,
      responder.identityKey,
      responder.identityDh.publicKey,
    ),
  };
}

/**
 * Runs X3DH as the initiator against a responder's bundle (Signal X3DH section 3.3).
 * `generateKeyPair` makes the ephemeral key (tests inject one); its private key is zeroed after
 * use.
 * @throws X3dhError when a key of the bundle is not signed, as its kind, by the bundle's
 * identity key; RangeError when a key is malformed or a low-order point.
 */
export async function initiate(
  initiator: X3dhIdentity,
  bundle: PrekeyBundle,
  generateKeyPair: KeyPairSource = generateX25519KeyPair,
): Promise<X3dhInitiation> {
  await verifyBundle(bundle);
  return await agreeAsInitiator(initiator, bundle, await generateKeyPair(), KDF_INFO, []);
}

/**
 * Runs X3DH as the responder on an initiator's first message (Signal X3DH section 3.4). The caller
 * finds its signed and one-time prekeys by the ids in the message, and afterwards deletes the
 * one-time prekey; it also decides whether it trusts `message.identityKey`.
 * @throws X3dhError when the message names a one-time prekey the caller did not supply (or the
 * reverse); RangeError when a key is malformed or a low-order point.
 */
export async function respond(
  responder: X3dhResponderKeys,
  message: X3dhMessage & { readonly oneTimePrekeyId?: number },
): Promise<X3dhSecret> {
  return await agreeAsResponder(responder, message, KDF_INFO, []);
}
