/**
 * Signed envelopes: what one peer sends another, directly or through the rendezvous mailbox.
 *
 * Wire layout: a SignedEnvelope { body, signature } (src/proto/envelope.proto) where `body` is an
 * encoded EnvelopeBody and `signature` is the sender's Ed25519 signature over
 * "tincan-envelope-v1" ‖ 0x00 ‖ body. The signature is checked over the bytes as received, before
 * any field is looked at; the ratchet decrypts only what this module returns.
 */
import { MAX_ENVELOPE_BYTES } from "../protocol/limits.ts";
import { EnvelopeBody, SignedEnvelope } from "../proto/envelope.ts";
import { bytesEqual } from "./bytes.ts";
import {
  checkLength,
  concat,
  ED25519_PUBLIC_BYTES,
  ed25519Verify,
  randomBytes,
  SIGNATURE_BYTES,
  type Signer,
  TAG_BYTES,
  X25519_BYTES,
} from "./primitives.ts";
import { KEM_CIPHERTEXT_BYTES } from "./kem.ts";
import type { PqxdhHeader } from "./pqxdh.ts";
import { HEADER_BYTES } from "./ratchet.ts";

/** The envelope version this module writes and reads. */
export const ENVELOPE_VERSION = 1;
/** Bytes of a message id. */
export const MESSAGE_ID_BYTES = 16;

const DOMAIN = new TextEncoder().encode("tincan-envelope-v1");
const MAX_U32 = 0xffffffff;

/** An envelope that is malformed, not validly signed, or not from/to whom it should be. */
export class EnvelopeError extends Error {
  override name = "EnvelopeError";
}

/** The X3DH fields of a session's first messages, plus PQXDH's when it was PQXDH (pqxdh.ts). */
export interface PrekeyHeader {
  /** The initiator's X25519 identity key. */
  readonly identityDhKey: Uint8Array;
  /** The initiator's X25519 ephemeral key. */
  readonly ephemeralKey: Uint8Array;
  readonly signedPrekeyId: number;
  readonly oneTimePrekeyId?: number;
  /** PQXDH: the KEM ciphertext and the KEM prekey used; absent for X3DH. */
  readonly pqxdh?: PqxdhHeader;
}

/** An envelope's content (its version is ENVELOPE_VERSION). */
export interface Envelope {
  /** The sender's raw Ed25519 identity key; the signer. */
  readonly sender: Uint8Array;
  /** The recipient's raw Ed25519 identity key. */
  readonly recipient: Uint8Array;
  /** MESSAGE_ID_BYTES random bytes, for acknowledgements and duplicate detection. */
  readonly messageId: Uint8Array;
  /** The sender's clock, ms since the epoch. */
  readonly timestamp: number;
  readonly prekey?: PrekeyHeader;
  /** The encoded ratchet header (ratchet.ts). */
  readonly ratchetHeader: Uint8Array;
  /** The ratchet ciphertext ‖ tag. */
  readonly ciphertext: Uint8Array;
}

/** A fresh random message id; `random` may be injected by tests. */
export function newMessageId(random: (length: number) => Uint8Array = randomBytes): Uint8Array {
  const id = random(MESSAGE_ID_BYTES);
  checkLength("a message id", id, MESSAGE_ID_BYTES);
  return id;
}

function signedBytes(body: Uint8Array): Uint8Array {
  return concat(DOMAIN, Uint8Array.of(0), body);
}

/** The reason `envelope` is malformed, or undefined when it is well formed. */
function problem(envelope: Envelope): string | undefined {
  const lengths: Array<[string, Uint8Array, number]> = [
    ["sender key", envelope.sender, ED25519_PUBLIC_BYTES],
    ["recipient key", envelope.recipient, ED25519_PUBLIC_BYTES],
    ["message id", envelope.messageId, MESSAGE_ID_BYTES],
    ["ratchet header", envelope.ratchetHeader, HEADER_BYTES],
  ];
  if (envelope.prekey) {
    lengths.push(["X3DH identity key", envelope.prekey.identityDhKey, X25519_BYTES]);
    lengths.push(["X3DH ephemeral key", envelope.prekey.ephemeralKey, X25519_BYTES]);
    const kemCiphertext = envelope.prekey.pqxdh?.kemCiphertext;
    if (kemCiphertext) lengths.push(["PQXDH KEM ciphertext", kemCiphertext, KEM_CIPHERTEXT_BYTES]);
  }
  for (const [what, bytes, length] of lengths) {
    if (bytes.length !== length) return `its ${what} is ${bytes.length} bytes, not ${length}`;
  }
  if (envelope.ciphertext.length < TAG_BYTES) return "its ciphertext is shorter than a tag";
  if (!Number.isSafeInteger(envelope.timestamp) || envelope.timestamp < 0) {
    return `its timestamp ${envelope.timestamp} is out of range`;
  }
  const ids = envelope.prekey
    ? [
      envelope.prekey.signedPrekeyId,
      envelope.prekey.oneTimePrekeyId ?? 0,
      envelope.prekey.pqxdh?.kemPrekeyId ?? 0,
    ]
    : [];
  if (ids.some((id) => !Number.isInteger(id) || id < 0 || id > MAX_U32)) {
    return "a prekey id is not a 32-bit unsigned integer";
  }
  return undefined;
}

/**
 * Encodes and signs an envelope with the sender's identity.
 * @throws RangeError when a field is malformed, the signer is not the sender, or the result
 * would exceed MAX_ENVELOPE_BYTES.
 */
export async function sealEnvelope(signer: Signer, envelope: Envelope): Promise<Uint8Array> {
  const bad = problem(envelope);
  if (bad) throw new RangeError(`Cannot seal the envelope: ${bad}`);
  if (!bytesEqual(signer.publicKey, envelope.sender)) {
    throw new RangeError("Cannot seal the envelope: its sender is not the signing key");
  }
  const body: EnvelopeBody = {
    version: ENVELOPE_VERSION,
    sender: envelope.sender,
    recipient: envelope.recipient,
    messageId: envelope.messageId,
    timestamp: BigInt(envelope.timestamp),
    ratchetHeader: envelope.ratchetHeader,
    ciphertext: envelope.ciphertext,
  };
  if (envelope.prekey) {
    const { identityDhKey, ephemeralKey, signedPrekeyId, oneTimePrekeyId, pqxdh } = envelope.prekey;
    body.prekey = { identityDhKey, ephemeralKey, signedPrekeyId };
    if (oneTimePrekeyId !== undefined) body.prekey.oneTimePrekeyId = oneTimePrekeyId;
    if (pqxdh) {
      const { kemCiphertext, kemPrekeyId, kemPrekeyOneTime } = pqxdh;
      body.prekey.pqxdh = { kemCiphertext, kemPrekeyId, kemPrekeyOneTime };
    }
  }
  const bodyBytes = EnvelopeBody.encode(body);
  const signature = await signer.sign(signedBytes(bodyBytes));
  checkLength("an Ed25519 signature", signature, SIGNATURE_BYTES);
  const bytes = SignedEnvelope.encode({ body: bodyBytes, signature });
  if (bytes.length > MAX_ENVELOPE_BYTES) {
    throw new RangeError(`Cannot seal the envelope: ${bytes.length} bytes is over the limit`);
  }
  return bytes;
}

function decodeBody(bytes: Uint8Array): EnvelopeBody {
  try {
    return EnvelopeBody.decode(bytes);
  } catch (err: unknown) {
    throw new EnvelopeError("Rejected an envelope: its body is malformed", { cause: err });
  }
}

function toEnvelope(body: EnvelopeBody): Envelope {
  if (body.version !== ENVELOPE_VERSION) {
    throw new EnvelopeError(`Rejected an envelope: version ${body.version} is not supported`);
  }
  if (body.timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new EnvelopeError("Rejected an envelope: its timestamp is out of range");
  }
  const envelope: Envelope = {
    sender: body.sender,
    recipient: body.recipient,
    messageId: body.messageId,
    timestamp: Number(body.timestamp),
    ratchetHeader: body.ratchetHeader,
    ciphertext: body.ciphertext,
    ...(body.prekey ? { prekey: toPrekeyHeader(body.prekey) } : {}),
  };
  const bad = problem(envelope);
  if (bad) throw new EnvelopeError(`Rejected an envelope: ${bad}`);
  return envelope;
}

function toPrekeyHeader(p: NonNullable<EnvelopeBody["prekey"]>): PrekeyHeader {
  const header = {
    identityDhKey: p.identityDhKey,
    ephemeralKey: p.ephemeralKey,
    signedPrekeyId: p.signedPrekeyId,
  };
  return {
    ...header,
    ...(p.oneTimePrekeyId === undefined ? {} : { oneTimePrekeyId: p.oneTimePrekeyId }),
    ...(p.pqxdh ? { pqxdh: p.pqxdh } : {}),
  };
}

/**
 * Checks and decodes a sealed envelope. With `expectedSender` (the Noise-authenticated peer of a
 * chat stream) the signature is verified with that key before the body is even decoded; without
 * it (mailbox) only the claimed sender key is read from the body first. Then version, field sizes
 * and the recipient are checked.
 * @throws EnvelopeError saying why: too large, malformed, bad signature, wrong sender or
 * recipient, unsupported version, malformed field.
 */
export async function openEnvelope(
  bytes: Uint8Array,
  expectedSender?: Uint8Array,
  expectedRecipient?: Uint8Array,
): Promise<Envelope> {
  if (bytes.length > MAX_ENVELOPE_BYTES) {
    throw new EnvelopeError(`Rejected an envelope: ${bytes.length} bytes is over the limit`);
  }
  let signed: SignedEnvelope;
  try {
    signed = SignedEnvelope.decode(bytes);
  } catch (err: unknown) {
    throw new EnvelopeError("Rejected an envelope: it is malformed", { cause: err });
  }
  // One encoding only: the decoder ignores wire types, so a re-encoding must give the same bytes.
  if (!bytesEqual(SignedEnvelope.encode(signed), bytes)) {
    throw new EnvelopeError("Rejected an envelope: it is not canonically encoded");
  }
  if (signed.signature.length !== SIGNATURE_BYTES) {
    throw new EnvelopeError("Rejected an envelope: its signature is not 64 bytes");
  }
  let body: EnvelopeBody | undefined;
  const signer = expectedSender ?? (body = decodeBody(signed.body)).sender;
  if (signer.length !== ED25519_PUBLIC_BYTES) {
    throw new EnvelopeError("Rejected an envelope: its sender key is not 32 bytes");
  }
  if (!await ed25519Verify(signer, signedBytes(signed.body), signed.signature)) {
    throw new EnvelopeError(
      expectedSender
        ? "Rejected an envelope: it is not signed by the expected sender"
        : "Rejected an envelope: its signature does not verify",
    );
  }
  body ??= decodeBody(signed.body);
  if (!bytesEqual(body.sender, signer)) {
    throw new EnvelopeError("Rejected an envelope: its sender is not the expected peer");
  }
  if (expectedRecipient && !bytesEqual(body.recipient, expectedRecipient)) {
    throw new EnvelopeError("Rejected an envelope: it is addressed to another identity");
  }
  return toEnvelope(body);
}
