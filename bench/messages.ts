/**
 * Chat messages end to end against a raw libp2p echo, in one run.
 *
 * Who runs where: the rendezvous, bob (bench/peer_process.ts) and the raw echo server
 * (bench/echo_process.ts) each in a process of their own; alice, and the raw echo client, in the
 * bench process. So each side of a conversation has its own JavaScript thread, as two users' peers
 * would, and the full stack is measured exactly like the raw baseline: client here, server there.
 *
 *  - round trip: alice sends "ping i", bob's message event sends "pong i" at once, until alice's
 *    message event; and alice's send until her delivered event (bob's Ack, sent once bob stored it)
 *  - pipelined: alice sends `pipelined` messages without waiting, until all are delivered (an Ack
 *    means bob has stored the message and emitted its message event)
 *  - traced round trips: the same, once more, with every messaging step stamped on both sides
 *    (messages_trace.ts): the critical path, step by step
 *  - raw: one long-lived echo stream, round trips of one frame the size of a chat envelope, and the
 *    same number of frames pipelined
 */
import { peerIdFromString } from "@libp2p/peer-id";
import { join } from "node:path";
import { configureLogging } from "../src/log.ts";
import { Directory } from "../src/peer/directory.ts";
import { createPeer, type Peer } from "../src/peer/peer.ts";
import { openProfile, type Profile } from "../src/peer/profile.ts";
import { benchPeerOptions, startClient, stopClients } from "./clients.ts";
import { EchoSession } from "./echo.ts";
import { ECHO_PREFIX, REPLY_PREFIX } from "./peer_process.ts";
import { readCpuMs } from "./proc.ts";
import {
  installMessageTrace,
  roundTimeline,
  type Stamp,
  stamp,
  startTrace,
  takeStamps,
  type TimelineStep,
} from "./messages_trace.ts";
import { type ServerProcess, spawnServerProcess } from "./server_process.ts";
import { fetchKeyLog } from "../src/peer/clients/directory.ts";
import { ContactStore } from "../src/peer/store/contacts.ts";
import { KeyLogHeadStore } from "../src/peer/store/key_log_heads.ts";
import { Trust } from "../src/peer/trust.ts";
import { Issuers } from "../src/peer/federation/issuers.ts";
import { HomeName } from "../src/peer/names.ts";
import { ServerKeyStore } from "../src/peer/store/server_keys.ts";

/** Latency percentiles, in milliseconds. */
export interface Latency {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** CPU time each process spent during a measurement, in milliseconds. */
export interface CpuSplit {
  readonly alice: number;
  readonly bob: number;
  readonly rendezvous: number;
}

/** A pipelined run: `messages` sent back to back, the time until the last was acknowledged. */
export interface Pipelined {
  readonly messages: number;
  /** Messages acknowledged within the timeout (all of them, unless it ran out). */
  readonly delivered: number;
  /** From the first send to the last delivered event. */
  readonly seconds: number;
  /** From the first send until the last `send` call returned (stored in the outbox). */
  readonly writeSeconds: number;
  readonly cpuMs: CpuSplit;
}

/** Everything the message bench measured. */
export interface MessageResult {
  /** Bytes of one SignedEnvelope of a round-trip message (the raw echo payload size). */
  readonly envelopeBytes: number;
  readonly reply: Latency;
  readonly ack: Latency;
  readonly roundTripCpuMs: CpuSplit;
  readonly rawRoundTrip: Latency;
  readonly pipelined: Pipelined;
  /** Directory.resolve of bob by alice (lookup on a fresh stream + certificate check), alone. */
  readonly resolve: Latency;
  readonly rawPipelined: { readonly messages: number; readonly seconds: number };
  /** The traced round trips: each step's mean time from alice's send, on either side. */
  readonly timeline: { readonly rounds: number; readonly steps: readonly TimelineStep[] };
}

/** The shape of the message bench. */
export interface MessagePlan {
  readonly warmup: number;
  readonly roundTrips: number;
  readonly pipelined: number;
  /** Longest wait for the pipelined messages' acknowledgements. */
  readonly pipelinedTimeoutMs: number;
}

/** The bench's message senders and what the far side sent back. */
export interface MessageSetup {
  readonly rendezvous: ServerProcess;
  readonly bob: ServerProcess;
  readonly alice: Peer;
  readonly aliceProfile: Profile;
  readonly arrivals: Arrivals;
}

/** Starts the rendezvous and bob (own processes) and alice (here); runs `work`; stops them. */
export async function withChatPair<T>(work: (setup: MessageSetup) => Promise<T>): Promise<T> {
  const rendezvous = await spawnServerProcess(new URL("./rendezvous_process.ts", import.meta.url));
  let bob: ServerProcess | undefined;
  const dir = await Deno.makeTempDir({ prefix: "tincan-bench-alice-" });
  let alice: Peer | undefined;
  let aliceProfile: Profile | undefined;
  try {
    bob = await spawnServerProcess(new URL("./peer_process.ts", import.meta.url), [
      "--rendezvous",
      rendezvous.address.toString(),
      "--username",
      "bob",
      "--trace",
    ]);
    aliceProfile = await openProfile(join(dir, "profile"));
    alice = createPeer(
      benchPeerOptions(aliceProfile, "alice", rendezvous.address.toString()),
    );
    await alice.start();
    const arrivals = new Arrivals();
    alice.on((event) => {
      if (event.type === "delivered") {
        stamp("delivered event");
        arrivals.arrive(`delivered ${event.id}`);
      } else if (event.type === "message") {
        stamp("message event (the reply)");
        arrivals.arrive(`message ${event.text}`);
      } else if (event.type === "failed") arrivals.fail(`delivered ${event.id}`, event.reason);
    });
    return await work({ rendezvous, bob, alice, aliceProfile, arrivals });
  } finally {
    await alice?.stop().catch(() => {});
    aliceProfile?.close();
    await bob?.stop();
    await rendezvous.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    configureLogging("warn");
  }
}

/** Measures the full stack (alice ↔ bob) and then the raw echo, with the same sizes and counts. */
export async function benchMessages(plan: MessagePlan): Promise<MessageResult> {
  const full = await withChatPair(async (setup) => {
    for (let i = 0; i < plan.warmup; i++) await roundTrip(setup, `warm-${i}`);
    const cpuBefore = await cpuSplit(setup);
    const replies: number[] = [];
    const acks: number[] = [];
    for (let i = 0; i < plan.roundTrips; i++) {
      const { reply, ack } = await roundTrip(setup, String(i));
      replies.push(reply);
      acks.push(ack);
    }
    const roundTripCpuMs = minus(await cpuSplit(setup), cpuBefore);
    const envelopeBytes = lastEnvelopeBytes(setup.aliceProfile);
    const timeline = await tracedRoundTrips(setup, plan.roundTrips);
    const pipelined = await pipeline(setup, plan);
    // Alice's flushes of the burst are queued behind each other: one more round trip, queued
    // behind them all, means they are done before anything stops.
    await roundTrip(setup, "drain");
    const resolve = await timeResolve(setup, plan.roundTrips);
    return {
      resolve,
      envelopeBytes,
      reply: latency(replies),
      ack: latency(acks),
      roundTripCpuMs,
      pipelined,
      timeline,
    };
  });
  const raw = await rawEcho(full.envelopeBytes, plan);
  return { ...full, ...raw };
}

/** One ping/pong: milliseconds until bob's reply arrived and until bob's Ack arrived. */
async function roundTrip(
  setup: MessageSetup,
  tag: string,
): Promise<{ reply: number; ack: number }> {
  const start = performance.now();
  const replied = setup.arrivals.at(`message ${REPLY_PREFIX}${tag}`);
  const id = await setup.alice.send("bob", ECHO_PREFIX + tag);
  const [delivered, reply] = await Promise.all([
    setup.arrivals.at(`delivered ${id}`),
    replied,
  ]);
  return { reply: reply - start, ack: delivered - start };
}

/** The step each traced round starts at: alice's Peer.send, as Outgoing.write. */
const ROUND_START = "Outgoing.write (seal body, outbox+history txn) start";

/** `count` more round trips with every messaging step stamped, both sides merged by time. */
async function tracedRoundTrips(setup: MessageSetup, count: number) {
  installMessageTrace();
  await setup.bob.ask("trace", "tracing");
  startTrace("alice");
  for (let i = 0; i < count; i++) await roundTrip(setup, `traced-${i}`);
  const alice = takeStamps();
  const bob = JSON.parse(await setup.bob.ask("stamps", "stamps ")) as Stamp[];
  return roundTimeline([...alice, ...bob], "alice", ROUND_START);
}

async function pipeline(setup: MessageSetup, plan: MessagePlan): Promise<Pipelined> {
  const cpuBefore = await cpuSplit(setup);
  const start = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < plan.pipelined; i++) {
    ids.push(await setup.alice.send("bob", `bulk ${i}`));
  }
  const writeSeconds = (performance.now() - start) / 1000;
  const deadline = AbortSignal.timeout(plan.pipelinedTimeoutMs);
  let last = start;
  let delivered = 0;
  for (const id of ids) {
    try {
      last = Math.max(last, await setup.arrivals.at(`delivered ${id}`, deadline));
      delivered++;
    } catch (err: unknown) {
      if (!deadline.aborted) throw err;
    }
  }
  const cpuMs = minus(await cpuSplit(setup), cpuBefore);
  return {
    messages: plan.pipelined,
    delivered,
    seconds: ((delivered === ids.length ? last : performance.now()) - start) / 1000,
    writeSeconds,
    cpuMs,
  };
}

/** Times `count` Directory.resolve("bob") calls as alice's Outgoing makes them, one at a time. */
async function timeResolve(setup: MessageSetup, count: number): Promise<Latency> {
  const rendezvousKey = peerIdFromString(
    setup.rendezvous.address.getComponents().at(-1)!.value!,
  ).publicKey!;
  const names = new HomeName();
  const issuers = new Issuers({
    homeKey: rendezvousKey,
    names,
    store: new ServerKeyStore(setup.aliceProfile.db),
    onChange: () => {},
  });
  const trust = new Trust(
    new ContactStore(setup.aliceProfile.db),
    new KeyLogHeadStore(setup.aliceProfile.db),
    issuers,
    (username) => fetchKeyLog(setup.alice.node, setup.rendezvous.address, username),
  );
  const directory = new Directory(setup.alice.node, () => setup.rendezvous.address, trust, names);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await directory.resolve("bob", Date.now());
    times.push(performance.now() - start);
  }
  return latency(times);
}

/** The raw baseline: echo round trips and a pipelined burst of `bytes`-byte frames. */
async function rawEcho(bytes: number, plan: MessagePlan) {
  const server = await spawnServerProcess(new URL("./echo_process.ts", import.meta.url));
  const client = await startClient("raw-messages");
  try {
    const session = await EchoSession.open(client.node, server.address);
    try {
      const payload = new Uint8Array(bytes);
      for (let i = 0; i < plan.warmup; i++) await session.roundTrip(payload);
      const times: number[] = [];
      for (let i = 0; i < plan.roundTrips; i++) {
        const start = performance.now();
        await session.roundTrip(payload);
        times.push(performance.now() - start);
      }
      await session.pipeline(payload, Math.min(plan.pipelined, 100));
      const start = performance.now();
      await session.pipeline(payload, plan.pipelined);
      const seconds = (performance.now() - start) / 1000;
      return {
        rawRoundTrip: latency(times),
        rawPipelined: { messages: plan.pipelined, seconds },
      };
    } finally {
      await session.close();
    }
  } finally {
    await stopClients([client]);
    await server.stop();
  }
}

/** Percentiles of `samples` (milliseconds), nearest rank. */
export function latency(samples: readonly number[]): Latency {
  if (samples.length === 0) throw new RangeError("no latency samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return {
    samples: sorted.length,
    p50: rank(0.5),
    p99: rank(0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

async function cpuSplit(setup: MessageSetup): Promise<CpuSplit> {
  const [alice, bob, rendezvous] = await Promise.all([
    readCpuMs(Deno.pid),
    setup.bob.cpuMs(),
    setup.rendezvous.cpuMs(),
  ]);
  return { alice, bob, rendezvous };
}

function minus(after: CpuSplit, before: CpuSplit): CpuSplit {
  return {
    alice: after.alice - before.alice,
    bob: after.bob - before.bob,
    rendezvous: after.rendezvous - before.rendezvous,
  };
}

function lastEnvelopeBytes(profile: Profile): number {
  const row = profile.db.prepare(
    "SELECT length(envelope) AS n FROM outbox WHERE envelope IS NOT NULL ORDER BY seq DESC LIMIT 1",
  ).get() as { n: number } | undefined;
  if (row === undefined) throw new Error("alice's outbox holds no envelope to size the baseline");
  return Number(row.n);
}

/** When keyed things (events) happened: `at(key)` resolves with the performance.now() of it. */
export class Arrivals {
  readonly #times = new Map<string, number>();
  readonly #failures = new Map<string, string>();
  readonly #waiting = new Map<
    string,
    { resolve: (t: number) => void; reject: (e: Error) => void }
  >();

  /** Records that `key` happened now. */
  arrive(key: string): void {
    const now = performance.now();
    const waiter = this.#waiting.get(key);
    if (waiter) {
      this.#waiting.delete(key);
      waiter.resolve(now);
    } else this.#times.set(key, now);
  }

  /** Records that `key` will not happen. */
  fail(key: string, reason: string): void {
    const waiter = this.#waiting.get(key);
    if (waiter) {
      this.#waiting.delete(key);
      waiter.reject(new Error(`${key} failed: ${reason}`));
    } else this.#failures.set(key, reason);
  }

  /** When `key` happened (now or later); rejects on failure or when `signal` aborts first. */
  at(key: string, signal?: AbortSignal): Promise<number> {
    const time = this.#times.get(key);
    if (time !== undefined) {
      this.#times.delete(key);
      return Promise.resolve(time);
    }
    const failure = this.#failures.get(key);
    if (failure !== undefined) return Promise.reject(new Error(`${key} failed: ${failure}`));
    if (signal?.aborted) return Promise.reject(new Error(`gave up waiting for ${key}`));
    return new Promise((resolve, reject) => {
      const abort = () => {
        this.#waiting.delete(key);
        reject(new Error(`gave up waiting for ${key}`));
      };
      signal?.addEventListener("abort", abort, { once: true });
      this.#waiting.set(key, {
        resolve: (t) => {
          signal?.removeEventListener("abort", abort);
          resolve(t);
        },
        reject: (e) => {
          signal?.removeEventListener("abort", abort);
          reject(e);
        },
      });
    });
  }
}
