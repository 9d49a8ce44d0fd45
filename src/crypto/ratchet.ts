/**
 * The Double Ratchet, as in Signal's specification (revision 1, 2016-11-20), as a pure state
 * machine: every function takes a state and returns a NEW one, never mutating its input, so a
 * caller commits the new state only when a step succeeds. A failed decryption leaves nothing
 * behind.
 *
 *   KDF_RK(rk, dh) = HKDF-SHA-256(salt = rk, ikm = dh, info = "tincan-ratchet-v1", 64) → rk', ck
 *   KDF_CK(ck)     = mk = HMAC-SHA-256(ck, 0x01), ck' = HMAC-SHA-256(ck, 0x02)
 *   ENCRYPT(mk)    = HKDF-SHA-256(salt = 32 zero bytes, ikm = mk, info = "tincan-message-v1", 44)
 *                    → AES-256 key (32) ‖ nonce (12); AES-256-GCM with AD = state AD ‖ header;
 *                    ciphertext layout: AES-GCM ciphertext ‖ 16-byte tag
 *   header (40 B)  = ratchet public key (32) ‖ PN (u32 big-endian) ‖ N (u32 big-endian)
 *
 * Skipped message keys: at most MAX_SKIP keys are skipped in one chain per message, at most
 * MAX_SKIPPED_KEYS are kept (oldest dropped first), and each expires SKIPPED_KEY_MAX_AGE_MS after
 * it was stored. Serialization (ratchet_state.ts) stores this state in SQLite.
 */
import { bytesEqual } from "./bytes.ts";
import {
  checkLength,
  concat,
  copyBytes,
  generateX25519KeyPair,
  hkdfSha256,
  hmacSha256,
  type KeyPairSource,
  x25519,
  X25519_BYTES,
  type X25519KeyPair,
} from "./primitives.ts";
import { aesGcmOpen, aesGcmSeal } from "./aead.ts";

/** Most message keys one incoming message may make the receiver skip in one chain. */
export const MAX_SKIP = 2000;
/** Most skipped message keys a session keeps; the oldest are dropped first. */
export const MAX_SKIPPED_KEYS = 2000;
/** Age after which a skipped message key is forgotten: 30 days. */
export const SKIPPED_KEY_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** Bytes of an encoded ratchet header. */
export const HEADER_BYTES = X25519_BYTES + 4 + 4;

const encoder = new TextEncoder();
const RK_INFO = encoder.encode("tincan-ratchet-v1");
const MESSAGE_INFO = encoder.encode("tincan-message-v1");
const ZERO_SALT = new Uint8Array(32);
const MESSAGE_KEY_SEED = Uint8Array.of(0x01);
const CHAIN_KEY_SEED = Uint8Array.of(0x02);
const MAX_COUNT = 0xffffffff;

/** A message this session cannot decrypt (or send); the session state is unchanged. */
export class RatchetError extends Error {
  override name = "RatchetError";
}

/** A ratchet message header. */
export interface RatchetHeader {
  /** The sender's current ratchet public key. */
  readonly publicKey: Uint8Array;
  /** PN: how many messages the sender sent in its previous sending chain. */
  readonly previousCount: number;
  /** N: this message's number in the current sending chain. */
  readonly n: number;
}

/** A message key kept for a message not yet received. */
export interface SkippedKey {
  readonly ratchetKey: Uint8Array;
  readonly n: number;
  readonly messageKey: Uint8Array;
  /** When it was stored (ms since the epoch), for expiry. */
  readonly skippedAt: number;
}

/** A session's state (Signal's DHs, DHr, RK, CKs, CKr, Ns, Nr, PN, MKSKIPPED, plus AD). */
export interface RatchetState {
  readonly sending: X25519KeyPair;
  readonly receivingKey?: Uint8Array;
  readonly rootKey: Uint8Array;
  readonly sendingChainKey?: Uint8Array;
  readonly receivingChainKey?: Uint8Array;
  readonly sendCount: number;
  readonly receiveCount: number;
  readonly previousSendCount: number;
  /** Oldest first. */
  readonly skipped: readonly SkippedKey[];
  /** The X3DH associated data, bound into every message. */
  readonly associatedData: Uint8Array;
}

/** One encrypted message. */
export interface RatchetMessage {
  /** The encoded header (HEADER_BYTES). */
  readonly header: Uint8Array;
  /** AES-256-GCM ciphertext ‖ tag. */
  readonly ciphertext: Uint8Array;
}

/**
 * Encodes a header: public key (32) ‖ PN (u32 BE) ‖ N (u32 BE).
 * @throws RangeError when the key is not 32 bytes or a count is not a u32.
 */
export function encodeHeader(header: RatchetHeader): Uint8Array {
  checkLength("a ratchet public key", header.publicKey, X25519_BYTES);
  for (const count of [header.previousCount, header.n]) {
    if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
      throw new RangeError(`ratchet message count ${count} is not a 32-bit unsigned integer`);
    }
  }
  const bytes = new Uint8Array(HEADER_BYTES);
  bytes.set(header.publicKey);
  const view = new DataView(bytes.buffer);
  view.setUint32(X25519_BYTES, header.previousCount);
  view.setUint32(X25519_BYTES + 4, header.n);
  return bytes;
}

/**
 * Decodes a header.
 * @throws RatchetError when it is not HEADER_BYTES long.
 */
export function decodeHeader(bytes: Uint8Array): RatchetHeader {
  if (bytes.length !== HEADER_BYTES) {
    throw new RatchetError(`a ratchet header is ${HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    publicKey: copyBytes(bytes.subarray(0, X25519_BYTES)),
    previousCount: view.getUint32(X25519_BYTES),
    n: view.getUint32(X25519_BYTES + 4),
  };
}

/** KDF_RK: the next root key and a new chain key. Zeroes `dhOut`. */
function kdfRk(rootKey: Uint8Array, dhOut: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdfSha256(dhOut, rootKey, RK_INFO, 64);
  dhOut.fill(0);
  return [out.subarray(0, 32), out.subarray(32)];
}

/** KDF_CK: the next chain key and this step's message key. */
function kdfCk(chainKey: Uint8Array): [Uint8Array, Uint8Array] {
  return [hmacSha256(chainKey, CHAIN_KEY_SEED), hmacSha256(chainKey, MESSAGE_KEY_SEED)];
}

/** The AES key and nonce of a message key. */
function messageCipher(messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const out = hkdfSha256(messageKey, ZERO_SALT, MESSAGE_INFO, 44);
  return { key: out.subarray(0, 32), nonce: out.subarray(32) };
}

async function open(
  messageKey: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array,
): Promise<Uint8Array> {
  const { key, nonce } = messageCipher(messageKey);
  try {
    return await aesGcmOpen(key, nonce, ciphertext, ad);
  } catch (err: unknown) {
    throw new RatchetError("the message does not decrypt (altered, replayed or not for us)", {
      cause: err,
    });
  } finally {
    key.fill(0);
  }
}

function checkSecret(sharedKey: Uint8Array): void {
  checkLength("the X3DH shared key", sharedKey, 32);
}

/**
 * RatchetInitAlice: the initiator's session after X3DH, towards the responder's signed prekey.
 * @throws RangeError when a key is malformed or the prekey is a low-order point.
 */
export async function ratchetInitAlice(
  sharedKey: Uint8Array,
  responderRatchetKey: Uint8Array,
  associatedData: Uint8Array,
  generateKeyPair: KeyPairSource = generateX25519KeyPair,
): Promise<RatchetState> {
  checkSecret(sharedKey);
  const sending = await generateKeyPair();
  const [rootKey, sendingChainKey] = kdfRk(
    sharedKey,
    await x25519(sending.privateKey, responderRatchetKey),
  );
  return {
    sending,
    receivingKey: copyBytes(responderRatchetKey),
    rootKey,
    sendingChainKey,
    sendCount: 0,
    receiveCount: 0,
    previousSendCount: 0,
    skipped: [],
    associatedData: copyBytes(associatedData),
  };
}

/**
 * RatchetInitBob: the responder's session after X3DH; it can send once it has received.
 * @throws RangeError when a key is malformed.
 */
export function ratchetInitBob(
  sharedKey: Uint8Array,
  signedPrekey: X25519KeyPair,
  associatedData: Uint8Array,
): RatchetState {
  checkSecret(sharedKey);
  checkLength("an X25519 private key", signedPrekey.privateKey, X25519_BYTES);
  checkLength("an X25519 public key", signedPrekey.publicKey, X25519_BYTES);
  return {
    sending: {
      privateKey: copyBytes(signedPrekey.privateKey),
      publicKey: copyBytes(signedPrekey.publicKey),
    },
    rootKey: copyBytes(sharedKey),
    sendCount: 0,
    receiveCount: 0,
    previousSendCount: 0,
    skipped: [],
    associatedData: copyBytes(associatedData),
  };
}

/**
 * RatchetEncrypt: encrypts `plaintext` and returns the message and the session's next state.
 * @throws RatchetError when the session has no sending chain yet (a responder that has not
 * received) or its counter is exhausted.
 */
export async function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
): Promise<{ state: RatchetState; message: RatchetMessage }> {
  if (!state.sendingChainKey) {
    throw new RatchetError("this session cannot send before it has received a message");
  }
  if (state.sendCount >= MAX_COUNT) throw new RatchetError("this sending chain is exhausted");
  const [sendingChainKey, messageKey] = kdfCk(state.sendingChainKey);
  const header = encodeHeader({
    publicKey: state.sending.publicKey,
    previousCount: state.previousSendCount,
    n: state.sendCount,
  });
  const { key, nonce } = messageCipher(messageKey);
  const ciphertext = await aesGcmSeal(key, nonce, plaintext, concat(state.associatedData, header));
  key.fill(0);
  messageKey.fill(0);
  return {
    state: { ...state, sendingChainKey, sendCount: state.sendCount + 1 },
    message: { header, ciphertext },
  };
}

/** Options of {@link ratchetDecrypt}. */
export interface DecryptOptions {
  /** The current time, ms since the epoch: stamps and expires skipped keys. */
  readonly now: number;
  /** Where the next ratchet key pair comes from (tests inject one). */
  readonly generateKeyPair?: KeyPairSource;
}

/** The state without the skipped keys that have expired at `now`. */
export function pruneSkippedKeys(state: RatchetState, now: number): RatchetState {
  const skipped = state.skipped.filter((k) => now - k.skippedAt < SKIPPED_KEY_MAX_AGE_MS);
  return skipped.length === state.skipped.length ? state : { ...state, skipped };
}

/** Mutable working copy of the receiving side during one decryption. */
interface Receiving {
  key: Uint8Array | undefined;
  chainKey: Uint8Array | undefined;
  count: number;
  skipped: SkippedKey[];
}

/** SkipMessageKeys: stores the keys of the current receiving chain up to message `until`. */
function skipMessageKeys(r: Receiving, until: number, now: number): void {
  if (until - r.count > MAX_SKIP) {
    throw new RatchetError(
      `the message would skip ${until - r.count} messages, more than the ${MAX_SKIP} allowed`,
    );
  }
  if (!r.chainKey || !r.key) return;
  while (r.count < until) {
    const [chainKey, messageKey] = kdfCk(r.chainKey);
    r.skipped.push({ ratchetKey: r.key, n: r.count, messageKey, skippedAt: now });
    r.chainKey = chainKey;
    r.count++;
  }
}

/**
 * RatchetDecrypt: decrypts one message and returns the plaintext and the session's next state.
 * On any failure it throws and the input state stays valid and unchanged: discard nothing.
 * @throws RatchetError when the header is malformed, the message is a duplicate, skips more than
 * MAX_SKIP messages, or does not authenticate; RangeError when its ratchet key is a low-order
 * point.
 */
export async function ratchetDecrypt(
  state: RatchetState,
  message: RatchetMessage,
  options: DecryptOptions,
): Promise<{ state: RatchetState; plaintext: Uint8Array }> {
  const header = decodeHeader(message.header);
  const ad = concat(state.associatedData, message.header);
  const live = pruneSkippedKeys(state, options.now).skipped;

  const index = live.findIndex((k) =>
    k.n === header.n && bytesEqual(k.ratchetKey, header.publicKey)
  );
  const found = live[index];
  if (found) {
    const plaintext = await open(found.messageKey, message.ciphertext, ad);
    return { state: { ...state, skipped: live.filter((_, i) => i !== index) }, plaintext };
  }

  const r: Receiving = {
    key: state.receivingKey,
    chainKey: state.receivingChainKey,
    count: state.receiveCount,
    skipped: [...live],
  };
  let next: RatchetState = state;
  if (!state.receivingKey || !bytesEqual(header.publicKey, state.receivingKey)) {
    // DHRatchet
    skipMessageKeys(r, header.previousCount, options.now);
    const [rk1, receivingChainKey] = kdfRk(
      state.rootKey,
      await x25519(state.sending.privateKey, header.publicKey),
    );
    const sending = await (options.generateKeyPair ?? generateX25519KeyPair)();
    const [rootKey, sendingChainKey] = kdfRk(
      rk1,
      await x25519(sending.privateKey, header.publicKey),
    );
    next = {
      ...state,
      sending,
      rootKey,
      sendingChainKey,
      sendCount: 0,
      previousSendCount: state.sendCount,
    };
    r.key = header.publicKey;
    r.chainKey = receivingChainKey;
    r.count = 0;
  } else if (header.n < r.count) {
    throw new RatchetError(`message ${header.n} of this chain was already received or expired`);
  }
  if (header.n === MAX_COUNT) throw new RatchetError("this receiving chain is exhausted");
  skipMessageKeys(r, header.n, options.now);
  if (!r.chainKey || !r.key) throw new RatchetError("this session has no receiving chain");
  const [chainKey, messageKey] = kdfCk(r.chainKey);
  const plaintext = await open(messageKey, message.ciphertext, ad);
  messageKey.fill(0);
  const skipped = r.skipped.length > MAX_SKIPPED_KEYS
    ? r.skipped.slice(r.skipped.length - MAX_SKIPPED_KEYS)
    : r.skipped;
  return {
    state: {
      ...next,
      receivingKey: r.key,
      receivingChainKey: chainKey,
      receiveCount: r.count + 1,
      skipped,
    },
    plaintext,
  };
}
