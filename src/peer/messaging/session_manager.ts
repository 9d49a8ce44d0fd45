/**
 * Turns plaintexts into ratchet messages for a contact and back, choosing or creating the Double
 * Ratchet session (PQXDH as initiator with the contact's published bundle — X3DH when it has no
 * KEM prekey —, or as responder on a first message). Nothing is written here: every method
 * returns the session to save and the one-time prekeys (EC and KEM) to delete, so the caller commits them in one transaction with the message —
 * or drops them when anything fails, leaving the stored state unchanged. The caller holds
 * `exclusive` for the peer from reading the session until that transaction commits.
 */
import { bytesEqual } from "../../crypto/bytes.ts";
import type { Envelope, PrekeyHeader } from "../../crypto/envelope.ts";
import { PrekeyKind } from "../../crypto/prekeys.ts";
import {
  concat,
  copyBytes,
  type KeyPairSource,
  type X25519KeyPair,
} from "../../crypto/primitives.ts";
import {
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetInitAlice,
  ratchetInitBob,
  type RatchetMessage,
  type RatchetState,
} from "../../crypto/ratchet.ts";
import { deserializeRatchetState, serializeRatchetState } from "../../crypto/ratchet_state.ts";
import { type HandshakeProtocol, initiate, type PqxdhBundle, respond } from "../../crypto/pqxdh.ts";
import { PrekeyHeader as PrekeyHeaderCodec } from "../../proto/envelope.ts";
import type { OwnKeyStore } from "../store/own_keys.ts";
import type { OwnKemKeyStore } from "../store/own_kem_keys.ts";
import type { RatchetSessionStore, StoredSession } from "../store/ratchet_sessions.ts";
import { toHex } from "../../crypto/bytes.ts";
import { KeyedMutex } from "../../net/keyed_mutex.ts";
import { RatchetKeyStock } from "./ratchet_key_stock.ts";
import { sendingSession } from "./session_choice.ts";

/** Our long-term keys. */
export interface LocalIdentity {
  /** Raw Ed25519 identity key (the PeerId's key). */
  readonly identityKey: Uint8Array;
  readonly identityDh: X25519KeyPair;
}

/** A contact as the session layer sees it: a username bound to a trusted identity key. */
export interface Peer {
  readonly username: string;
  readonly identityKey: Uint8Array;
}

/** The outcome of encrypting: what goes into the envelope, and the session to save. */
export interface Encrypted {
  readonly prekey?: PrekeyHeader;
  readonly message: RatchetMessage;
  readonly session: StoredSession;
  /** Set when this call started the session: the key agreement it used. */
  readonly protocol?: HandshakeProtocol;
}

/**
 * The outcome of decrypting: the plaintext, the session to save, the one-time prekeys to delete
 * and, when this message started the session, the key agreement the sender used.
 */
export interface Decrypted {
  readonly plaintext: Uint8Array;
  readonly session: StoredSession;
  readonly usedOneTimePrekeyId?: number;
  readonly usedKemOneTimePrekeyId?: number;
  readonly protocol?: HandshakeProtocol;
}

/** An envelope no session can decrypt. */
export class UndecryptableError extends Error {
  override name = "UndecryptableError";
}

const SESSION_ID_DOMAIN = new TextEncoder().encode("tincan-session-v1");

/** A session's id: the first 16 bytes of SHA-256(domain ‖ the initiator's ephemeral key). */
async function sessionIdOf(ephemeralKey: Uint8Array): Promise<Uint8Array> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    concat(SESSION_ID_DOMAIN, ephemeralKey) as Uint8Array<ArrayBuffer>,
  );
  return new Uint8Array(digest).subarray(0, 16);
}

/** Chooses, creates and advances ratchet sessions. */
export class SessionManager {
  readonly #locks = new KeyedMutex<string>();
  /**
   * The states this manager serialized, by the bytes it made of them: the next message of a
   * batch, given those bytes (an unsaved session), ratchets on from the state itself instead of
   * decoding it again. States are never mutated (ratchet.ts), and bytes read from the store are
   * new objects, so this only ever answers for bytes made here from that very state.
   */
  readonly #serialized = new WeakMap<Uint8Array, RatchetState>();

  constructor(
    private readonly self: LocalIdentity,
    private readonly ownKeys: OwnKeyStore,
    private readonly sessions: RatchetSessionStore,
    private readonly kemKeys: OwnKemKeyStore,
    /** Our key pairs for DH ratchet steps (made ahead of need: ratchet_key_stock.ts). */
    private readonly ratchetKeys: KeyPairSource = new RatchetKeyStock().take,
  ) {}

  /**
   * Runs `task` alone among the tasks for the peer with `identityKey`, in call order. A task that
   * reads a session, ratchets it and saves the result must hold this: two interleaved tasks would
   * start from the same stored state, so one update would be lost — a message key used twice when
   * sending, a replay window or a refused message when receiving.
   */
  async exclusive<T>(identityKey: Uint8Array, task: () => Promise<T>): Promise<T> {
    return await this.#locks.run(toHex(identityKey), task);
  }

  /** Whether a session with `peer` exists (else encrypting needs the peer's bundle). */
  hasSession(peer: Peer): boolean {
    return this.sessions.has(peer.username, peer.identityKey);
  }

  /**
   * Encrypts `plaintext` for `peer` with the session session_choice.ts picks, or a new one made
   * from `bundle()` (PQXDH as initiator, X3DH when the bundle has no KEM prekey) when there is
   * none. `unsaved` is the session an earlier message of a batch advanced and that is not
   * committed yet: it is used instead of the stored ones.
   * @throws X3dhError when the bundle's signatures do not verify; RatchetError when the session
   * cannot send.
   */
  async encrypt(
    peer: Peer,
    plaintext: Uint8Array,
    bundle: () => Promise<PqxdhBundle>,
    now: number,
    unsaved?: StoredSession,
  ): Promise<Encrypted> {
    let stored = unsaved ?? sendingSession(this.sessions.list(peer.username, peer.identityKey));
    let state: RatchetState;
    let protocol: HandshakeProtocol | undefined;
    if (stored === undefined) {
      const started = await initiate(this.self, await bundle());
      state = await ratchetInitAlice(
        started.sharedKey,
        started.signedPrekeyPublic,
        started.associatedData,
      );
      const header: PrekeyHeader = {
        identityDhKey: started.identityDhKey,
        ephemeralKey: started.ephemeralPublic,
        signedPrekeyId: started.signedPrekeyId,
        ...(started.oneTimePrekeyId === undefined
          ? {}
          : { oneTimePrekeyId: started.oneTimePrekeyId }),
        ...(started.protocol === "pqxdh" ? { pqxdh: started.pqxdh } : {}),
      };
      protocol = started.protocol;
      stored = {
        username: peer.username,
        sessionId: await sessionIdOf(started.ephemeralPublic),
        identityKey: copyBytes(peer.identityKey),
        state: new Uint8Array(0),
        prekeyHeader: PrekeyHeaderCodec.encode(header),
        updatedAt: now,
      };
    } else {
      state = this.#deserialize(stored.state);
    }
    const result = await ratchetEncrypt(state, plaintext);
    const session = { ...stored, state: this.#serialize(result.state), updatedAt: now };
    const prekey = stored.prekeyHeader ? decodePrekeyHeader(stored.prekeyHeader) : undefined;
    return {
      ...(prekey ? { prekey } : {}),
      message: result.message,
      session,
      ...(protocol ? { protocol } : {}),
    };
  }

  /** The stored sessions with `peer`, most recently used first (opened: see decrypt's `stored`). */
  stored(peer: Peer): StoredSession[] {
    return this.sessions.list(peer.username, peer.identityKey);
  }

  /**
   * Decrypts an envelope from `peer` (whose signature the caller verified): with the session its
   * X3DH/PQXDH header names (creating it as responder if new), else with each session in turn.
   * `unsaved` are sessions advanced by earlier messages of a batch and not committed yet: they
   * stand in for their stored versions. `stored` is what `stored(peer)` returned earlier under
   * the same hold of `exclusive` (a batch reads and opens them once); read now when not given.
   * @throws UndecryptableError when no session decrypts it; the stored state is untouched.
   */
  async decrypt(
    peer: Peer,
    envelope: Envelope,
    now: number,
    unsaved: readonly StoredSession[] = [],
    stored: readonly StoredSession[] = this.stored(peer),
  ): Promise<Decrypted> {
    const message = { header: envelope.ratchetHeader, ciphertext: envelope.ciphertext };
    const existing = stored.map((session) =>
      unsaved.find((s) => bytesEqual(s.sessionId, session.sessionId)) ?? session
    );
    if (envelope.prekey) {
      const sessionId = await sessionIdOf(envelope.prekey.ephemeralKey);
      const known = existing.find((s) => bytesEqual(s.sessionId, sessionId));
      if (known) return await this.#advance(known, message, now);
      return await this.#accept(peer, envelope.prekey, sessionId, message, now);
    }
    const failures: string[] = [];
    for (const stored of existing) {
      try {
        return await this.#advance(stored, message, now);
      } catch (err: unknown) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
    const who = peer.username || "this sender";
    throw new UndecryptableError(
      existing.length === 0
        ? `no session with ${who} to decrypt this message`
        : `no session with ${who} decrypts this message (${failures.join("; ")})`,
    );
  }

  async #advance(stored: StoredSession, message: RatchetMessage, now: number): Promise<Decrypted> {
    let result;
    try {
      result = await ratchetDecrypt(this.#deserialize(stored.state), message, {
        now,
        generateKeyPair: this.ratchetKeys,
      });
    } catch (err: unknown) {
      throw new UndecryptableError(err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
    // A reply proves the peer has the session: stop repeating the X3DH header.
    const { prekeyHeader: _, ...rest } = stored;
    return {
      plaintext: result.plaintext,
      session: {
        ...rest,
        state: this.#serialize(result.state),
        updatedAt: now,
        receivedAt: now,
      },
    };
  }

  #serialize(state: RatchetState): Uint8Array {
    const bytes = serializeRatchetState(state);
    this.#serialized.set(bytes, state);
    return bytes;
  }

  #deserialize(bytes: Uint8Array): RatchetState {
    return this.#serialized.get(bytes) ?? deserializeRatchetState(bytes);
  }

  async #accept(
    peer: Peer,
    header: PrekeyHeader,
    sessionId: Uint8Array,
    message: RatchetMessage,
    now: number,
  ): Promise<Decrypted> {
    const signed = this.ownKeys.get(PrekeyKind.Signed, header.signedPrekeyId);
    if (signed === undefined) {
      throw new UndecryptableError(`signed prekey ${header.signedPrekeyId} is unknown or expired`);
    }
    const oneTime = header.oneTimePrekeyId === undefined
      ? undefined
      : this.ownKeys.get(PrekeyKind.OneTime, header.oneTimePrekeyId);
    if (header.oneTimePrekeyId !== undefined && oneTime === undefined) {
      throw new UndecryptableError(`one-time prekey ${header.oneTimePrekeyId} was already used`);
    }
    const { pqxdh } = header;
    const kemKind = pqxdh?.kemPrekeyOneTime ? PrekeyKind.KemOneTime : PrekeyKind.KemLastResort;
    const kemPrekey = pqxdh && this.kemKeys.get(kemKind, pqxdh.kemPrekeyId);
    if (pqxdh && kemPrekey === undefined) {
      throw new UndecryptableError(
        `${pqxdh.kemPrekeyOneTime ? "one-time" : "last-resort"} KEM prekey ` +
          `${pqxdh.kemPrekeyId} is unknown, expired or already used`,
      );
    }
    let state: RatchetState;
    let protocol: HandshakeProtocol;
    try {
      const secret = await respond(
        {
          ...this.self,
          signedPrekey: signed.pair,
          ...(oneTime ? { oneTimePrekey: oneTime.pair } : {}),
          ...(kemPrekey ? { kemPrekey: kemPrekey.pair } : {}),
        },
        {
          identityKey: peer.identityKey,
          identityDhKey: header.identityDhKey,
          ephemeralKey: header.ephemeralKey,
          ...(header.oneTimePrekeyId === undefined
            ? {}
            : { oneTimePrekeyId: header.oneTimePrekeyId }),
          ...(pqxdh ? { pqxdh } : {}),
        },
      );
      protocol = secret.protocol;
      state = ratchetInitBob(secret.sharedKey, signed.pair, secret.associatedData);
    } catch (err: unknown) {
      throw new UndecryptableError(err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
    const fresh: StoredSession = {
      username: peer.username,
      sessionId: copyBytes(sessionId),
      identityKey: copyBytes(peer.identityKey),
      state: serializeRatchetState(state),
      updatedAt: now,
    };
    const decrypted = await this.#advance(fresh, message, now);
    return {
      ...decrypted,
      protocol,
      ...(header.oneTimePrekeyId === undefined
        ? {}
        : { usedOneTimePrekeyId: header.oneTimePrekeyId }),
      ...(pqxdh?.kemPrekeyOneTime ? { usedKemOneTimePrekeyId: pqxdh.kemPrekeyId } : {}),
    };
  }
}

function decodePrekeyHeader(bytes: Uint8Array): PrekeyHeader {
  const decoded = PrekeyHeaderCodec.decode(bytes);
  return {
    identityDhKey: decoded.identityDhKey,
    ephemeralKey: decoded.ephemeralKey,
    signedPrekeyId: decoded.signedPrekeyId,
    ...(decoded.oneTimePrekeyId === undefined ? {} : { oneTimePrekeyId: decoded.oneTimePrekeyId }),
    ...(decoded.pqxdh ? { pqxdh: decoded.pqxdh } : {}),
  };
}
