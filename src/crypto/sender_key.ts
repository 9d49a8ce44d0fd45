/**
 * Sender keys for rooms (group chat), as a pure state machine: each member has its own chain per
 * room and encrypts a room message ONCE with it; the other members hold a copy of that chain
 * (distributed over the pairwise Double Ratchet sessions) and decrypt. Every function returns a
 * NEW state and never mutates its input, so a caller commits a state only when a step succeeds.
 *
 *   KDF_CK(ck)   = mk = HMAC-SHA-256(ck, 0x01), ck' = HMAC-SHA-256(ck, 0x02)   (as the ratchet)
 *   ENCRYPT(mk)  = HKDF-SHA-256(salt = 32 zero bytes, ikm = mk, info = "tincan-sender-key-v1", 44)
 *                  → AES-256 key (32) ‖ nonce (12)
 *   AD           = "tincan-room-message-v1" ‖ 0x00 ‖ room id (16) ‖ sender key (32)
 *                  ‖ generation (u32 BE) ‖ iteration (u32 BE)
 *   wire         = SignedSenderKeyMessage { body, signature } (src/proto/room.proto), body an
 *                  encoded SenderKeyMessageBody whose ciphertext is AES-GCM ciphertext ‖ 16-byte
 *                  tag; signature = the sender's Ed25519 over "tincan-room-message-v1" ‖ 0x00 ‖ body
 *
 * The receiver checks the signature with the sender's key from the room's signed member list
 * before it looks at anything else. A chain is replaced (a new `generation`) whenever a member is
 * removed, so a removed member, who holds only old chains, cannot read later messages. Within a
 * chain the receiver skips at most MAX_SENDER_SKIP keys per message, keeps at most
 * MAX_SKIPPED_SENDER_KEYS of them, forgets each SKIPPED_KEY_MAX_AGE_MS after it was skipped (the
 * Double Ratchet's rule, ratchet.ts), and refuses an iteration it has already used (a duplicate).
 */
import { SenderChainState, SenderKeyMessageBody, SignedSenderKeyMessage } from "../proto/room.ts";
import { bytesEqual } from "./bytes.ts";
import {
  checkLength,
  concat,
  copyBytes,
  DecryptionError,
  ED25519_PUBLIC_BYTES,
  ed25519Verify,
  hkdfSha256,
  hmacSha256,
  randomBytes,
  SHA256_BYTES,
  SIGNATURE_BYTES,
  type Signer,
  TAG_BYTES,
} from "./primitives.ts";
import { aesGcmOpen, aesGcmSeal } from "./aead.ts";
import { SKIPPED_KEY_MAX_AGE_MS } from "./ratchet.ts";

/** Bytes of a room id. */
export const ROOM_ID_BYTES = 16;
/** Most message keys one room message may make the receiver skip in a sender's chain. */
export const MAX_SENDER_SKIP = 2000;
/** Most skipped message keys kept per sender chain; the oldest are dropped first. */
export const MAX_SKIPPED_SENDER_KEYS = 2000;
/** Largest encoded room message accepted or produced (it must fit in one envelope). */
export const MAX_ROOM_MESSAGE_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const DOMAIN = encoder.encode("tincan-room-message-v1");
const KEY_INFO = encoder.encode("tincan-sender-key-v1");
const ZERO_SALT = new Uint8Array(SHA256_BYTES);
const MESSAGE_KEY_SEED = Uint8Array.of(0x01);
const CHAIN_KEY_SEED = Uint8Array.of(0x02);
const MAX_U32 = 0xffffffff;

/** A room message that is malformed, not validly signed, or not decryptable with this chain. */
export class SenderKeyError extends Error {
  override name = "SenderKeyError";
}

/** A room message whose iteration this chain has already used: a duplicate or a replay. */
export class DuplicateRoomMessageError extends SenderKeyError {
  override name = "DuplicateRoomMessageError";
}

/** One sender's chain in one room: what the sender keeps, and what it distributes. */
export interface SenderChain {
  /** Which chain of this sender (grows by one on each rotation). */
  readonly generation: number;
  /** The number of the next message in the chain. */
  readonly iteration: number;
  /** The 32-byte chain key for message `iteration`. */
  readonly chainKey: Uint8Array;
}

/** A message key kept for a message of the chain not received yet. */
export interface SkippedSenderKey {
  readonly iteration: number;
  readonly messageKey: Uint8Array;
  /** When it was skipped (ms since the epoch), for expiry; 0 for a key kept before expiry. */
  readonly skippedAt: number;
}

/** What a receiver keeps of another member's chain. */
export interface ReceiverChain extends SenderChain {
  /** Keys of skipped iterations, oldest first. */
  readonly skipped: readonly SkippedSenderKey[];
}

/** The routing fields of a room message, read without checking anything. */
export interface RoomMessageHeader {
  readonly roomId: Uint8Array;
  /** The claimed sender's raw Ed25519 identity key. */
  readonly sender: Uint8Array;
  readonly generation: number;
  readonly iteration: number;
}

function checkU32(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_U32) {
    throw new RangeError(`${what} must be a 32-bit unsigned integer, got ${n}`);
  }
}

/**
 * A fresh chain for `generation` with a random chain key (`random` may be injected by tests).
 * @throws RangeError when `generation` is not a u32 or `random` gives other than 32 bytes.
 */
export function newSenderChain(
  generation: number,
  random: (length: number) => Uint8Array = randomBytes,
): SenderChain {
  checkU32("a generation", generation);
  const chainKey = random(SHA256_BYTES);
  checkLength("a chain key", chainKey, SHA256_BYTES);
  return { generation, iteration: 0, chainKey: copyBytes(chainKey) };
}

/** KDF_CK: the message key of the current iteration and the next chain key. */
function step(chainKey: Uint8Array): { messageKey: Uint8Array; next: Uint8Array } {
  return {
    messageKey: hmacSha256(chainKey, MESSAGE_KEY_SEED),
    next: hmacSha256(chainKey, CHAIN_KEY_SEED),
  };
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function associatedData(header: RoomMessageHeader): Uint8Array {
  return concat(
    DOMAIN,
    Uint8Array.of(0),
    header.roomId,
    header.sender,
    u32(header.generation),
    u32(header.iteration),
  );
}

function keyAndNonce(messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdfSha256(messageKey, ZERO_SALT, KEY_INFO, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
}

function signedBytes(body: Uint8Array): Uint8Array {
  return concat(DOMAIN, Uint8Array.of(0), body);
}

/**
 * Encrypts `plaintext` for the room with the sender's chain and signs it; returns the message
 * (see the module comment for its layout) and the advanced chain, which the caller must store
 * before sending so that no message key is ever used twice.
 * @throws RangeError when the room id, chain or signer is malformed, the chain is exhausted, or
 * the message would exceed MAX_ROOM_MESSAGE_BYTES.
 */
export async function sealRoomMessage(
  signer: Signer,
  roomId: Uint8Array,
  chain: SenderChain,
  plaintext: Uint8Array,
): Promise<{ chain: SenderChain; message: Uint8Array }> {
  checkLength("a room id", roomId, ROOM_ID_BYTES);
  checkLength("a chain key", chain.chainKey, SHA256_BYTES);
  checkU32("a generation", chain.generation);
  checkU32("an iteration", chain.iteration);
  if (chain.iteration === MAX_U32) throw new RangeError("this sender chain is exhausted: rotate");
  const header: RoomMessageHeader = {
    roomId,
    sender: signer.publicKey,
    generation: chain.generation,
    iteration: chain.iteration,
  };
  const { messageKey, next } = step(chain.chainKey);
  const { key, nonce } = keyAndNonce(messageKey);
  const ciphertext = await aesGcmSeal(key, nonce, plaintext, associatedData(header));
  const body = SenderKeyMessageBody.encode({ ...header, ciphertext });
  const signature = await signer.sign(signedBytes(body));
  checkLength("an Ed25519 signature", signature, SIGNATURE_BYTES);
  const message = SignedSenderKeyMessage.encode({ body, signature });
  if (message.length > MAX_ROOM_MESSAGE_BYTES) {
    throw new RangeError(`Cannot seal the room message: ${message.length} bytes is over the limit`);
  }
  return { chain: { ...chain, iteration: chain.iteration + 1, chainKey: next }, message };
}

function decodeSigned(bytes: Uint8Array): { signed: SignedSenderKeyMessage; body: RoomBody } {
  if (bytes.length > MAX_ROOM_MESSAGE_BYTES) {
    throw new SenderKeyError(`Rejected a room message: ${bytes.length} bytes is over the limit`);
  }
  let signed: SignedSenderKeyMessage;
  let body: SenderKeyMessageBody;
  try {
    signed = SignedSenderKeyMessage.decode(bytes);
    body = SenderKeyMessageBody.decode(signed.body);
  } catch (err: unknown) {
    throw new SenderKeyError("Rejected a room message: it is malformed", { cause: err });
  }
  if (!bytesEqual(SignedSenderKeyMessage.encode(signed), bytes)) {
    throw new SenderKeyError("Rejected a room message: it is not canonically encoded");
  }
  if (body.roomId.length !== ROOM_ID_BYTES) {
    throw new SenderKeyError("Rejected a room message: its room id is not 16 bytes");
  }
  if (body.sender.length !== ED25519_PUBLIC_BYTES) {
    throw new SenderKeyError("Rejected a room message: its sender key is not 32 bytes");
  }
  if (body.ciphertext.length < TAG_BYTES) {
    throw new SenderKeyError("Rejected a room message: its ciphertext is shorter than a tag");
  }
  return { signed, body };
}

type RoomBody = SenderKeyMessageBody;

/**
 * The routing fields of a room message (room, claimed sender, generation, iteration), NOT
 * authenticated: use them only to find the state to open it with.
 * @throws SenderKeyError when the message is malformed.
 */
export function peekRoomMessage(bytes: Uint8Array): RoomMessageHeader {
  const { body } = decodeSigned(bytes);
  return {
    roomId: body.roomId,
    sender: body.sender,
    generation: body.generation,
    iteration: body.iteration,
  };
}

/**
 * Checks and decrypts a room message from the member whose identity key is `senderKey` (taken
 * from the room's signed member list) with that member's chain `state`, at `now` (ms since the
 * epoch: stamps the keys it skips and forgets those older than SKIPPED_KEY_MAX_AGE_MS). Returns
 * the plaintext and the new state to store; `state` itself is unchanged, also when this throws.
 * @throws DuplicateRoomMessageError when the iteration was already used (or its skipped key
 * expired); SenderKeyError when the
 * message is malformed, not signed by `senderKey`, for another room or generation, too far
 * ahead, or does not decrypt.
 */
export async function openRoomMessage(
  state: ReceiverChain,
  roomId: Uint8Array,
  senderKey: Uint8Array,
  bytes: Uint8Array,
  now: number,
): Promise<{ state: ReceiverChain; plaintext: Uint8Array }> {
  checkLength("a room id", roomId, ROOM_ID_BYTES);
  checkLength("a sender key", senderKey, ED25519_PUBLIC_BYTES);
  const { signed, body } = decodeSigned(bytes);
  if (!await ed25519Verify(senderKey, signedBytes(signed.body), signed.signature)) {
    throw new SenderKeyError("Rejected a room message: it is not signed by its sender");
  }
  if (!bytesEqual(body.sender, senderKey)) {
    throw new SenderKeyError("Rejected a room message: its sender is not the expected member");
  }
  if (!bytesEqual(body.roomId, roomId)) {
    throw new SenderKeyError("Rejected a room message: it is for another room");
  }
  if (body.generation !== state.generation) {
    throw new SenderKeyError(
      `Rejected a room message: it uses chain ${body.generation}, we hold chain ${state.generation}`,
    );
  }
  const { iteration } = body;
  const live = state.skipped.filter((s) => now - s.skippedAt < SKIPPED_KEY_MAX_AGE_MS);
  let messageKey: Uint8Array;
  let next: ReceiverChain;
  if (iteration < state.iteration) {
    const found = live.find((s) => s.iteration === iteration);
    if (found === undefined) {
      throw new DuplicateRoomMessageError(
        `Rejected a room message: iteration ${iteration} was already received or its key expired`,
      );
    }
    messageKey = found.messageKey;
    next = { ...state, skipped: live.filter((s) => s !== found) };
  } else {
    if (iteration - state.iteration > MAX_SENDER_SKIP) {
      throw new SenderKeyError(
        `Rejected a room message: it skips ${iteration - state.iteration} messages ` +
          `(at most ${MAX_SENDER_SKIP})`,
      );
    }
    let chainKey = state.chainKey;
    const skipped = [...live];
    for (let i = state.iteration; i < iteration; i++) {
      const s = step(chainKey);
      skipped.push({ iteration: i, messageKey: s.messageKey, skippedAt: now });
      chainKey = s.next;
    }
    const s = step(chainKey);
    messageKey = s.messageKey;
    next = {
      generation: state.generation,
      iteration: iteration + 1,
      chainKey: s.next,
      skipped: skipped.slice(Math.max(0, skipped.length - MAX_SKIPPED_SENDER_KEYS)),
    };
  }
  const { key, nonce } = keyAndNonce(messageKey);
  try {
    const plaintext = await aesGcmOpen(key, nonce, body.ciphertext, associatedData(body));
    return { state: next, plaintext };
  } catch (err: unknown) {
    if (!(err instanceof DecryptionError)) throw err;
    throw new SenderKeyError("Rejected a room message: it does not decrypt", { cause: err });
  }
}

/** Encodes a chain (a sender's own, a distributed one, or a receiver's) for the wire or a store. */
export function encodeChain(chain: SenderChain | ReceiverChain): Uint8Array {
  return SenderChainState.encode({
    generation: chain.generation,
    iteration: chain.iteration,
    chainKey: chain.chainKey,
    skipped: "skipped" in chain
      ? chain.skipped.map((s) => ({ ...s, skippedAt: BigInt(s.skippedAt) }))
      : [],
  });
}

/**
 * Decodes a chain encoded by {@link encodeChain} (or received in a distribution message).
 * @throws SenderKeyError when it is malformed.
 */
export function decodeChain(bytes: Uint8Array): ReceiverChain {
  let state: SenderChainState;
  try {
    state = SenderChainState.decode(bytes);
  } catch (err: unknown) {
    throw new SenderKeyError("Rejected a sender chain: it is malformed", { cause: err });
  }
  return chainFromState(state);
}

/**
 * The chain in a decoded SenderChainState (as found inside a RoomSenderKey message).
 * @throws SenderKeyError when its keys have the wrong size or it keeps too many skipped keys.
 */
export function chainFromState(state: SenderChainState): ReceiverChain {
  if (state.chainKey.length !== SHA256_BYTES) {
    throw new SenderKeyError("Rejected a sender chain: its chain key is not 32 bytes");
  }
  if (state.skipped.length > MAX_SKIPPED_SENDER_KEYS) {
    throw new SenderKeyError("Rejected a sender chain: it keeps too many skipped keys");
  }
  if (state.skipped.some((s) => s.messageKey.length !== SHA256_BYTES)) {
    throw new SenderKeyError("Rejected a sender chain: a skipped key is not 32 bytes");
  }
  if (state.skipped.some((s) => s.skippedAt > BigInt(Number.MAX_SAFE_INTEGER))) {
    throw new SenderKeyError("Rejected a sender chain: a skipped key's time is out of range");
  }
  return {
    generation: state.generation,
    iteration: state.iteration,
    chainKey: state.chainKey,
    skipped: state.skipped.map((s) => ({
      iteration: s.iteration,
      messageKey: s.messageKey,
      skippedAt: Number(s.skippedAt),
    })),
  };
}
