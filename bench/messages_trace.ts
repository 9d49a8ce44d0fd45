/**
 * The round trip's critical path, step by step, on both sides: wraps public methods of the real
 * messaging classes (Outgoing, RatchetEncryptor, SessionManager, RatchetSessionStore, ChatLinks,
 * Incoming, FramedStream) so that each call's start and end is stamped, in each process, with
 * the machine's clock (performance.timeOrigin + performance.now(): both processes read the same
 * clock). The source is not instrumented; only the bench process and bench/peer_process.ts
 * install this, and stamp only between startTrace and takeStamps. A traced call's promise adds
 * one microtask to the path it times.
 *
 * The bench merges alice's and bob's stamps by time and cuts them into rounds at each of alice's
 * sends; roundTimeline gives each step's mean time from the round's start.
 */
import { FramedStream } from "../src/net/framed.ts";
import { ChatLinks } from "../src/peer/messaging/chat_links.ts";
import { Incoming } from "../src/peer/messaging/incoming.ts";
import { Outgoing } from "../src/peer/messaging/outgoing.ts";
import { RatchetEncryptor } from "../src/peer/messaging/ratchet_encryptor.ts";
import { SessionManager } from "../src/peer/messaging/session_manager.ts";
import { RatchetSessionStore } from "../src/peer/store/ratchet_sessions.ts";
import { SenderCertificates } from "../src/peer/messaging/sender_certificates.ts";
import { HistoryStore } from "../src/peer/store/history.ts";
import { ContactStore } from "../src/peer/store/contacts.ts";

/** One stamp: what happened, on which side, when (milliseconds on the machine's clock). */
export interface Stamp {
  readonly side: string;
  readonly step: string;
  readonly at: number;
}

/** Most stamps kept (older ones are dropped): a trace is bounded like every buffer. */
const MAX_STAMPS = 100_000;

const stamps: Stamp[] = [];
let installed = false;
/** The side being traced; "" when not tracing. */
let side = "";

/** Starts stamping, as `name` ("alice", "bob"), forgetting earlier stamps. */
export function startTrace(name: string): void {
  if (!installed) throw new TypeError("startTrace before installMessageTrace");
  stamps.length = 0;
  side = name;
}

/** Stamps `step` now, on this process's side, while tracing. */
export function stamp(step: string): void {
  if (side === "") return;
  if (stamps.length >= MAX_STAMPS) stamps.shift();
  stamps.push({ side, step, at: performance.timeOrigin + performance.now() });
}

/** Stops stamping; returns the stamps and forgets them. */
export function takeStamps(): Stamp[] {
  side = "";
  return stamps.splice(0, stamps.length);
}

type Method = (this: unknown, ...args: never[]) => unknown;

/** Wraps `proto[name]` so its start and end (its promise's settling) are stamped as `label`. */
function around(proto: object, name: string, label: (args: unknown[]) => string | undefined) {
  const original = Reflect.get(proto, name) as Method;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const what = side === "" ? undefined : label(args);
    if (what === undefined) return Reflect.apply(original, this, args);
    stamp(`${what} start`);
    const result = Reflect.apply(original, this, args);
    if (!(result instanceof Promise)) {
      stamp(`${what} end`);
      return result;
    }
    return result.then((value: unknown) => {
      stamp(`${what} end`);
      return value;
    });
  };
  Reflect.set(proto, name, wrapped);
}

/** What a chat frame carries, for its label; undefined for frames of other protocols. */
function chatFrame(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const envelopes = Reflect.get(message, "envelopes");
  const acks = Reflect.get(message, "acks");
  if (!Array.isArray(envelopes) || !Array.isArray(acks)) return undefined;
  return envelopes.length > 0 ? "envelopes" : "acks";
}

/** Wraps the messaging methods (once per process); nothing is stamped before startTrace. */
export function installMessageTrace(): void {
  if (installed) return;
  installed = true;
  around(Outgoing.prototype, "write", () => "Outgoing.write (seal body, outbox+history txn)");
  around(RatchetEncryptor.prototype, "encryptAll", () => "RatchetEncryptor.encryptAll");
  around(SessionManager.prototype, "encrypt", () => "SessionManager.encrypt (load, ratchet)");
  around(SessionManager.prototype, "decrypt", () => "SessionManager.decrypt (load, ratchet)");
  around(RatchetSessionStore.prototype, "save", () => "RatchetSessionStore.save");
  around(ChatLinks.prototype, "send", () => "ChatLinks.send (queued … frame written)");
  around(Incoming.prototype, "onEnvelopes", () => "Incoming.onEnvelopes (verify … commit)");
  around(Incoming.prototype, "onAcks", () => "Incoming.onAcks");
  around(SenderCertificates.prototype, "certify", () => "SenderCertificates.certify");
  around(HistoryStore.prototype, "seen", () => "HistoryStore.seen");
  around(ContactStore.prototype, "byKey", () => "ContactStore.byKey");
  around(SessionManager.prototype, "exclusive", () => "SessionManager.exclusive");
  around(FramedStream.prototype, "write", (args) => {
    const what = chatFrame(args[0]);
    return what && `write frame of ${what}`;
  });
  const read = Reflect.get(FramedStream.prototype, "readOrEnd") as Method;
  Reflect.set(
    FramedStream.prototype,
    "readOrEnd",
    async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      if (side === "") return await (Reflect.apply(read, this, args) as Promise<unknown>);
      const frame = await (Reflect.apply(read, this, args) as Promise<unknown>);
      const what = chatFrame(frame);
      if (what) stamp(`read frame of ${what}`);
      return frame;
    },
  );
}

/**
 * One step of the merged timeline: its mean and median time from the round's start, over
 * `rounds`. The median is the one to read: a round stalled by the machine (a p99 of tens of ms)
 * moves every later step's mean.
 */
export interface TimelineStep {
  readonly side: string;
  readonly step: string;
  readonly meanMs: number;
  readonly medianMs: number;
  readonly rounds: number;
}

/** The median of `values` (the mean of the middle two for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Merges the stamps of every side, cuts them into rounds, each starting at a stamp of
 * `startSide` whose step is `startStep`, and returns each step's mean and median time from its
 * round's start, in order of the median. A step seen twice in a round is numbered ("#2").
 */
export function roundTimeline(
  all: readonly Stamp[],
  startSide: string,
  startStep: string,
): { rounds: number; steps: TimelineStep[] } {
  const sorted = [...all].sort((a, b) => a.at - b.at);
  const sums = new Map<string, { side: string; step: string; offsets: number[] }>();
  let rounds = 0;
  let start: number | undefined;
  let seen = new Map<string, number>();
  for (const s of sorted) {
    if (s.side === startSide && s.step === startStep) {
      rounds++;
      start = s.at;
      seen = new Map();
    }
    if (start === undefined) continue;
    const plain = `${s.side}\u0000${s.step}`;
    const n = (seen.get(plain) ?? 0) + 1;
    seen.set(plain, n);
    const step = n === 1 ? s.step : `${s.step} #${n}`;
    const key = `${s.side}\u0000${step}`;
    const sum = sums.get(key) ?? { side: s.side, step, offsets: [] };
    sum.offsets.push(s.at - start);
    sums.set(key, sum);
  }
  const steps = [...sums.values()]
    .filter((s) => s.offsets.length * 2 >= rounds) // steps of most rounds, not of a stray one
    .map((s) => ({
      side: s.side,
      step: s.step,
      meanMs: s.offsets.reduce((a, b) => a + b, 0) / s.offsets.length,
      medianMs: median(s.offsets),
      rounds: s.offsets.length,
    }))
    .sort((a, b) => a.medianMs - b.medianMs);
  return { rounds, steps };
}
