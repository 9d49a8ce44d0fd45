/**
 * The registration table of the rendezvous protocol (libp2p/specs rendezvous/README.md):
 * REGISTER, UNREGISTER and DISCOVER with cookies, TTLs and per-peer limits. Pure: the caller
 * verifies the signed peer record and passes its sequence number and the time.
 */
import {
  DEFAULT_TTL_SECONDS,
  MAX_DISCOVER_RESULTS,
  MAX_NAMESPACE_BYTES,
  MAX_REGISTRATIONS_PER_PEER,
  MAX_TTL_SECONDS,
  MIN_TTL_SECONDS,
} from "../protocol/limits.ts";
import { MAX_REGISTRATIONS_TOTAL } from "./constants.ts";

/** One peer's registration in one namespace. */
export interface Registration {
  readonly ns: string;
  readonly peerId: string;
  readonly signedPeerRecord: Uint8Array;
  readonly ttlSeconds: number;
  readonly expiresAt: number;
  readonly counter: bigint;
}

/** The spec's error statuses this table produces. */
export type RegistrationError =
  | "E_INVALID_NAMESPACE"
  | "E_INVALID_SIGNED_PEER_RECORD"
  | "E_INVALID_TTL"
  | "E_INVALID_COOKIE"
  | "E_NOT_AUTHORIZED"
  | "E_UNAVAILABLE";

/** A refused request: the status and a sentence for `statusText`. */
export interface Refusal {
  readonly error: RegistrationError;
  readonly text: string;
}

/** Limits of a table; defaults from constants.ts. */
export interface RegistrationLimits {
  readonly minTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly maxPerPeer: number;
  readonly maxTotal: number;
}

const DEFAULT_LIMITS: RegistrationLimits = {
  minTtlSeconds: MIN_TTL_SECONDS,
  maxTtlSeconds: MAX_TTL_SECONDS,
  maxPerPeer: MAX_REGISTRATIONS_PER_PEER,
  maxTotal: MAX_REGISTRATIONS_TOTAL,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Checks a namespace: non-empty unless `allowEmpty`, at most 255 bytes. */
export function namespaceRefusal(ns: string, allowEmpty: boolean): Refusal | undefined {
  if (ns === "" && !allowEmpty) return { error: "E_INVALID_NAMESPACE", text: "empty namespace" };
  const bytes = encoder.encode(ns).length;
  if (bytes > MAX_NAMESPACE_BYTES) {
    return {
      error: "E_INVALID_NAMESPACE",
      text: `namespace is ${bytes} bytes; the limit is ${MAX_NAMESPACE_BYTES}`,
    };
  }
  return undefined;
}

/** The registrations of all peers, indexed by namespace and by peer. */
export class RegistrationTable {
  readonly #limits: RegistrationLimits;
  /** Every registration, in counter order (a refresh moves it to the end). */
  readonly #all = new Map<string, Registration>();
  readonly #byNamespace = new Map<string, Map<string, Registration>>();
  /** Each peer's registrations, by namespace. */
  readonly #perPeer = new Map<string, Map<string, Registration>>();
  readonly #highestSeq = new Map<string, bigint>();
  #counter = 0n;

  constructor(limits: Partial<RegistrationLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * Registers (or refreshes) `peerId` in `ns`. `ttlSeconds` 0 means the default. Returns the
   * granted TTL, or the refusal.
   */
  register(
    peerId: string,
    ns: string,
    signedPeerRecord: Uint8Array,
    seq: bigint,
    ttlSeconds: number,
    now: number,
  ): { ttlSeconds: number } | Refusal {
    const badNs = namespaceRefusal(ns, false);
    if (badNs) return badNs;
    const ttl = ttlSeconds === 0 ? DEFAULT_TTL_SECONDS : ttlSeconds;
    if (ttl < this.#limits.minTtlSeconds || ttl > this.#limits.maxTtlSeconds) {
      return {
        error: "E_INVALID_TTL",
        text:
          `TTL ${ttl} s is outside ${this.#limits.minTtlSeconds}..${this.#limits.maxTtlSeconds} s`,
      };
    }
    const highest = this.#highestSeq.get(peerId);
    if (highest !== undefined && seq < highest) {
      return {
        error: "E_INVALID_SIGNED_PEER_RECORD",
        text: `peer record seq ${seq} is older than ${highest} already seen`,
      };
    }
    const key = keyOf(ns, peerId);
    const existing = this.#all.get(key);
    if (existing === undefined) {
      if ((this.#perPeer.get(peerId)?.size ?? 0) >= this.#limits.maxPerPeer) {
        return {
          error: "E_NOT_AUTHORIZED",
          text: `too many registrations: at most ${this.#limits.maxPerPeer} per peer`,
        };
      }
      if (this.#all.size >= this.#limits.maxTotal) {
        return { error: "E_UNAVAILABLE", text: "the rendezvous is full; try later" };
      }
    } else {
      this.#delete(existing);
    }
    this.#highestSeq.set(peerId, seq);
    const registration: Registration = {
      ns,
      peerId,
      signedPeerRecord,
      ttlSeconds: ttl,
      expiresAt: now + ttl * 1000,
      counter: ++this.#counter,
    };
    this.#all.set(key, registration);
    let inNs = this.#byNamespace.get(ns);
    if (inNs === undefined) this.#byNamespace.set(ns, inNs = new Map());
    inNs.set(peerId, registration);
    let ofPeer = this.#perPeer.get(peerId);
    if (ofPeer === undefined) this.#perPeer.set(peerId, ofPeer = new Map());
    ofPeer.set(ns, registration);
    return { ttlSeconds: ttl };
  }

  /** Removes `peerId` from `ns`; a no-op when it is not registered there (spec). */
  unregister(peerId: string, ns: string): void {
    const existing = this.#all.get(keyOf(ns, peerId));
    if (existing) this.#delete(existing);
  }

  /** Removes every registration of `peerId` (it went offline) and forgets its seq. */
  removePeer(peerId: string): void {
    for (const registration of this.registrationsOf(peerId)) this.#delete(registration);
    this.#highestSeq.delete(peerId);
  }

  /**
   * The live registrations in `ns` ("" for all namespaces) newer than `cookie`, at most
   * `limit` (0 means the maximum), and the cookie for the next call.
   */
  discover(
    ns: string,
    limit: number,
    cookie: Uint8Array | undefined,
    now: number,
  ): { registrations: Registration[]; cookie: Uint8Array } | Refusal {
    const badNs = namespaceRefusal(ns, true);
    if (badNs) return badNs;
    let after = 0n;
    if (cookie !== undefined && cookie.length > 0) {
      const parsed = parseCookie(cookie);
      if (parsed === undefined || parsed.ns !== ns) {
        return { error: "E_INVALID_COOKIE", text: "cookie is malformed or for another namespace" };
      }
      after = parsed.counter;
    }
    const max = limit <= 0 ? MAX_DISCOVER_RESULTS : Math.min(limit, MAX_DISCOVER_RESULTS);
    const source = ns === "" ? this.#all : this.#byNamespace.get(ns) ?? new Map();
    const registrations: Registration[] = [];
    let last = after;
    for (const registration of [...source.values()]) {
      if (registration.expiresAt <= now) {
        this.#delete(registration);
        continue;
      }
      if (registration.counter <= after) continue;
      if (registrations.length >= max) break;
      registrations.push(registration);
      last = registration.counter;
    }
    return { registrations, cookie: makeCookie(ns, last) };
  }

  /** Drops every expired registration; returns how many. */
  purgeExpired(now: number): number {
    let purged = 0;
    for (const registration of [...this.#all.values()]) {
      if (registration.expiresAt <= now) {
        this.#delete(registration);
        purged++;
      }
    }
    return purged;
  }

  /** The registrations of `peerId`. */
  registrationsOf(peerId: string): Registration[] {
    return [...this.#perPeer.get(peerId)?.values() ?? []];
  }

  /** Number of live and not yet purged registrations. */
  get size(): number {
    return this.#all.size;
  }

  #delete(registration: Registration): void {
    this.#all.delete(keyOf(registration.ns, registration.peerId));
    const inNs = this.#byNamespace.get(registration.ns);
    inNs?.delete(registration.peerId);
    if (inNs?.size === 0) this.#byNamespace.delete(registration.ns);
    const ofPeer = this.#perPeer.get(registration.peerId);
    ofPeer?.delete(registration.ns);
    if (ofPeer?.size === 0) this.#perPeer.delete(registration.peerId);
  }
}

function keyOf(ns: string, peerId: string): string {
  return `${peerId}\u0000${ns}`;
}

/** Cookie layout: the last returned counter as 8 bytes big-endian, then the namespace in UTF-8. */
function makeCookie(ns: string, counter: bigint): Uint8Array {
  const nsBytes = encoder.encode(ns);
  const cookie = new Uint8Array(8 + nsBytes.length);
  new DataView(cookie.buffer).setBigUint64(0, counter);
  cookie.set(nsBytes, 8);
  return cookie;
}

function parseCookie(cookie: Uint8Array): { counter: bigint; ns: string } | undefined {
  if (cookie.length < 8 || cookie.length > 8 + MAX_NAMESPACE_BYTES) return undefined;
  try {
    const counter = new DataView(cookie.buffer, cookie.byteOffset, 8).getBigUint64(0);
    return { counter, ns: decoder.decode(cookie.subarray(8)) };
  } catch {
    return undefined;
  }
}
