/**
 * Storage form of a Double Ratchet session: the RatchetState message of src/proto/ratchet.proto
 * (version 1). Decoding checks every length and bound, so a corrupt row cannot become a session.
 * The encoding is deterministic: equal states give equal bytes.
 */
import { RatchetState as RatchetStateMessage } from "../proto/ratchet.ts";
import { copyBytes, X25519_BYTES } from "./primitives.ts";
import { MAX_SKIPPED_KEYS, type RatchetState, type SkippedKey } from "./ratchet.ts";

/** Version of the stored layout. */
export const RATCHET_STATE_VERSION = 1;
/** Largest associated data a stored session may carry. */
export const MAX_ASSOCIATED_DATA_BYTES = 1024;
const KEY_BYTES = 32;
const MAX_COUNT = 0xffffffff;

/** The bytes to store for `state`. */
export function serializeRatchetState(state: RatchetState): Uint8Array {
  const message: RatchetStateMessage = {
    version: RATCHET_STATE_VERSION,
    sendingPrivateKey: state.sending.privateKey,
    sendingPublicKey: state.sending.publicKey,
    rootKey: state.rootKey,
    sendCount: state.sendCount,
    receiveCount: state.receiveCount,
    previousSendCount: state.previousSendCount,
    skipped: state.skipped.map((k) => ({
      ratchetKey: k.ratchetKey,
      n: k.n,
      messageKey: k.messageKey,
      skippedAt: BigInt(k.skippedAt),
    })),
    associatedData: state.associatedData,
  };
  if (state.receivingKey) message.receivingKey = state.receivingKey;
  if (state.sendingChainKey) message.sendingChainKey = state.sendingChainKey;
  if (state.receivingChainKey) message.receivingChainKey = state.receivingChainKey;
  return RatchetStateMessage.encode(message);
}

function key(what: string, bytes: Uint8Array, length = KEY_BYTES): Uint8Array {
  if (bytes.length !== length) {
    throw new RangeError(`stored ratchet state: ${what} is ${bytes.length} bytes, not ${length}`);
  }
  return copyBytes(bytes);
}

function count(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
    throw new RangeError(`stored ratchet state: ${what} ${value} is out of range`);
  }
  return value;
}

/**
 * A session from its stored bytes.
 * @throws RangeError when the bytes are malformed, of another version, or out of bounds.
 */
export function deserializeRatchetState(bytes: Uint8Array): RatchetState {
  let m: RatchetStateMessage;
  try {
    m = RatchetStateMessage.decode(bytes, { limits: { skipped: MAX_SKIPPED_KEYS } });
  } catch (err: unknown) {
    throw new RangeError("stored ratchet state is malformed", { cause: err });
  }
  if (m.version !== RATCHET_STATE_VERSION) {
    throw new RangeError(`stored ratchet state has version ${m.version}, not 1`);
  }
  if (m.associatedData.length > MAX_ASSOCIATED_DATA_BYTES) {
    throw new RangeError("stored ratchet state: associated data is too long");
  }
  if (m.receivingChainKey !== undefined && m.receivingKey === undefined) {
    throw new RangeError("stored ratchet state: a receiving chain needs a receiving key");
  }
  const skipped: SkippedKey[] = m.skipped.map((k) => {
    if (k.skippedAt > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError("stored ratchet state: a skipped key's time is out of range");
    }
    return {
      ratchetKey: key("a skipped key's ratchet key", k.ratchetKey, X25519_BYTES),
      n: count("a skipped key's number", k.n),
      messageKey: key("a skipped message key", k.messageKey),
      skippedAt: Number(k.skippedAt),
    };
  });
  const state: {
    -readonly [K in keyof RatchetState]: RatchetState[K];
  } = {
    sending: {
      privateKey: key("the sending private key", m.sendingPrivateKey, X25519_BYTES),
      publicKey: key("the sending public key", m.sendingPublicKey, X25519_BYTES),
    },
    rootKey: key("the root key", m.rootKey),
    sendCount: count("the send count", m.sendCount),
    receiveCount: count("the receive count", m.receiveCount),
    previousSendCount: count("the previous send count", m.previousSendCount),
    skipped,
    associatedData: copyBytes(m.associatedData),
  };
  if (m.receivingKey !== undefined) {
    state.receivingKey = key("the receiving key", m.receivingKey, X25519_BYTES);
  }
  if (m.sendingChainKey !== undefined) {
    state.sendingChainKey = key("the sending chain key", m.sendingChainKey);
  }
  if (m.receivingChainKey !== undefined) {
    state.receivingChainKey = key("the receiving chain key", m.receivingChainKey);
  }
  return state;
}
