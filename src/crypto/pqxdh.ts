/**
 * PQXDH key agreement, as in Signal's specification (revision 3), with X3DH as the fallback for
 * a responder whose bundle has no KEM prekey (an older version). Parameters (section 2.1):
 *
 *   curve = curve25519, hash = SHA-256, pqkem = ML-KEM-768 (FIPS 203, kem.ts), aead = the Double
 *   Ratchet's AES-256-GCM, info = "tincan-pqxdh-v1"; EncodeEC is the raw 32-byte key under its
 *   prekey kind byte, EncodeKEM the pqkem type byte ‖ FIPS 203 ek under its kind (prekeys.ts).
 *
 * The initiator ("Alice") checks the signatures of every key of the bundle, the KEM prekeys'
 * included; picks the one-time KEM prekey when the bundle has one, else the last-resort one;
 * then computes (section 3.3)
 *
 *   (CT, SS) = PQKEM-ENC(PQPK_B)
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)  [DH4 = DH(EK_A, OPK_B)]
 *   SK  = HKDF-SHA-256(ikm = F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, salt = 32 zero bytes,
 *                      info = PQXDH_KDF_INFO, 32 bytes), F = 32 bytes of 0xFF
 *   AD  = as X3DH (x3dh.ts): both parties' Ed25519 and X25519 identity keys
 *
 * and sends, besides X3DH's fields, CT and which KEM prekey it used (id and whether one-time).
 * The responder ("Bob") decapsulates with the named KEM prekey and derives the same SK; it then
 * deletes that KEM prekey if it was a one-time one, once the first message has decrypted.
 * Everything here is pure: bytes and keys in, bytes out; the caller stores and deletes keys.
 */
import type { SignedKey } from "../proto/services.ts";
import {
  KEM_CIPHERTEXT_BYTES,
  kemDecapsulate,
  kemEncapsulate,
  type KemKeyPair,
  type KemRandomness,
} from "./kem.ts";
import { PrekeyKind } from "./prekeys.ts";
import { checkLength, generateX25519KeyPair, type KeyPairSource } from "./primitives.ts";
import {
  agreeAsInitiator,
  agreeAsResponder,
  initiate as initiateX3dh,
  type KemPrekeyToCheck,
  type PrekeyBundle,
  respond as respondX3dh,
  verifyBundle,
  X3dhError,
  type X3dhIdentity,
  type X3dhInitiation,
  type X3dhMessage,
  type X3dhResponderKeys,
  type X3dhSecret,
} from "./x3dh.ts";

/**
 * PQXDH's HKDF info: its parameters info, curve, hash and pqkem joined by "_" (section 2.2). X3DH,
 * the fallback, keeps its own "tincan-x3dh-v1", so the two never derive the same SK.
 */
export const PQXDH_KDF_INFO = "tincan-pqxdh-v1_CURVE25519_SHA-256_ML-KEM-768";

const KDF_INFO = new TextEncoder().encode(PQXDH_KDF_INFO);

/** Which key agreement a session started with. */
export type HandshakeProtocol = "pqxdh" | "x3dh";

/** A responder's bundle: X3DH's keys plus, from a PQXDH-capable version, its KEM prekeys. */
export interface PqxdhBundle extends PrekeyBundle {
  /** The ML-KEM-768 last-resort prekey, signed as PrekeyKind.KemLastResort. */
  readonly kemLastResortPrekey?: SignedKey;
  /** An ML-KEM-768 one-time prekey, signed as PrekeyKind.KemOneTime, when the directory had one. */
  readonly kemOneTimePrekey?: SignedKey;
}

/** The PQXDH fields of a first message, as envelope.proto's PqxdhHeader carries them. */
export interface PqxdhHeader {
  /** CT: the ML-KEM-768 ciphertext, KEM_CIPHERTEXT_BYTES long. */
  readonly kemCiphertext: Uint8Array;
  /** The id of the KEM prekey CT was encapsulated to. */
  readonly kemPrekeyId: number;
  /** True for a one-time KEM prekey (PrekeyKind.KemOneTime), false for the last-resort one. */
  readonly kemPrekeyOneTime: boolean;
}

/**
 * The initiator's result: X3DH's (SK, AD and the first message's X3DH fields) plus the protocol
 * used and, for PQXDH, the KEM fields the first message must carry.
 */
export type PqxdhInitiation =
  | X3dhInitiation & { readonly protocol: "x3dh" }
  | X3dhInitiation & { readonly protocol: "pqxdh"; readonly pqxdh: PqxdhHeader };

/** The handshake fields of a first message as the responder received them. */
export interface PqxdhMessage extends X3dhMessage {
  readonly oneTimePrekeyId?: number;
  /** Present when the initiator ran PQXDH; absent for X3DH. */
  readonly pqxdh?: PqxdhHeader;
}

/** The responder's private keys for one first message, looked up by the ids it names. */
export interface PqxdhResponderKeys extends X3dhResponderKeys {
  /**
   * The KEM prekey the message's `pqxdh` names (by id, one-time or last-resort); required
   * exactly when the message has `pqxdh`. Leave it out when that key is unknown or already used.
   */
  readonly kemPrekey?: KemKeyPair;
}

/** The responder's result: SK, AD and the protocol the initiator chose. */
export interface PqxdhSecret extends X3dhSecret {
  readonly protocol: HandshakeProtocol;
}

/** Options of {@link initiate}: injectable randomness for tests. */
export interface InitiateOptions {
  /** Makes the ephemeral X25519 key (default: WebCrypto). */
  readonly generateKeyPair?: KeyPairSource;
  /** Gives the encapsulation's 32 random bytes (default: the system CSPRNG). */
  readonly kemRandomness?: KemRandomness;
}

/** The bundle's KEM prekeys, the one the initiator uses first: the one-time one (section 3.3). */
function kemPrekeysOf(bundle: PqxdhBundle): KemPrekeyToCheck[] {
  const keys: KemPrekeyToCheck[] = [];
  if (bundle.kemOneTimePrekey) {
    keys.push({ kind: PrekeyKind.KemOneTime, key: bundle.kemOneTimePrekey });
  }
  if (bundle.kemLastResortPrekey) {
    keys.push({ kind: PrekeyKind.KemLastResort, key: bundle.kemLastResortPrekey });
  }
  return keys;
}

/**
 * Runs PQXDH as the initiator against a responder's bundle (section 3.3), or X3DH when the bundle
 * has no KEM prekey. Every signature of the bundle is checked before any key is used.
 * @throws X3dhError when a key of the bundle is not signed, as its kind, by the bundle's identity
 * key (a KEM prekey that fails the FIPS 203 check counts as unsigned); RangeError when a key is
 * malformed or a low-order point.
 */
export async function initiate(
  initiator: X3dhIdentity,
  bundle: PqxdhBundle,
  options: InitiateOptions = {},
): Promise<PqxdhInitiation> {
  const generateKeyPair = options.generateKeyPair ?? generateX25519KeyPair;
  const kemPrekeys = kemPrekeysOf(bundle);
  const kemPrekey = kemPrekeys[0];
  if (!kemPrekey) {
    return { ...await initiateX3dh(initiator, bundle, generateKeyPair), protocol: "x3dh" };
  }
  await verifyBundle(bundle, kemPrekeys);
  const { ciphertext, sharedSecret } = kemEncapsulate(
    kemPrekey.key.publicKey,
    options.kemRandomness,
  );
  const ephemeral = await generateKeyPair();
  try {
    const agreed = await agreeAsInitiator(initiator, bundle, ephemeral, KDF_INFO, [sharedSecret]);
    const pqxdh = {
      kemCiphertext: ciphertext,
      kemPrekeyId: kemPrekey.key.id,
      kemPrekeyOneTime: kemPrekey.kind === PrekeyKind.KemOneTime,
    };
    return { ...agreed, protocol: "pqxdh", pqxdh };
  } finally {
    sharedSecret.fill(0);
    ephemeral.privateKey.fill(0);
  }
}

/**
 * Runs PQXDH as the responder on an initiator's first message (section 3.4), or X3DH when the
 * message has no KEM fields. The caller finds its prekeys by the ids in the message; once the
 * first message has decrypted under the resulting session it deletes the one-time prekeys used
 * (EC and KEM), and not before, so that an altered message leaves its state unchanged. An
 * altered ciphertext is not detected here: ML-KEM's implicit rejection yields another SK, and
 * the first message then fails to decrypt.
 * @throws X3dhError when the message names a KEM or one-time prekey the caller did not supply,
 * or the caller supplied one the message does not name; RangeError when a key is malformed or a
 * low-order point, or the ciphertext is not KEM_CIPHERTEXT_BYTES long.
 */
export async function respond(
  responder: PqxdhResponderKeys,
  message: PqxdhMessage,
): Promise<PqxdhSecret> {
  const { pqxdh } = message;
  if ((pqxdh === undefined) !== (responder.kemPrekey === undefined)) {
    throw new X3dhError(
      pqxdh
        ? `${pqxdh.kemPrekeyOneTime ? "one-time" : "last-resort"} KEM prekey ` +
          `${pqxdh.kemPrekeyId} is unknown or already used`
        : "a KEM prekey was supplied but the message names none",
    );
  }
  if (!pqxdh || !responder.kemPrekey) {
    return { ...await respondX3dh(responder, message), protocol: "x3dh" };
  }
  checkLength("the PQXDH KEM ciphertext", pqxdh.kemCiphertext, KEM_CIPHERTEXT_BYTES);
  const sharedSecret = kemDecapsulate(responder.kemPrekey.seed, pqxdh.kemCiphertext);
  try {
    return {
      ...await agreeAsResponder(responder, message, KDF_INFO, [sharedSecret]),
      protocol: "pqxdh",
    };
  } finally {
    sharedSecret.fill(0);
  }
}
