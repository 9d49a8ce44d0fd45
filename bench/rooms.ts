/**
 * A room message to many online members against a single message's round trip, in one run.
 *
 * Who runs where: the rendezvous in a process of its own; the members (bench/
 * room_members_process.ts) `perProcess` to a process; alice, the room's creator and sender, in
 * the bench process. Alice creates the room and invites every member, each joins at once; then:
 *
 *  - fan-out: alice sends a room message; the time from the send until the last member's room
 *    message event (each member logs when it had it, in epoch milliseconds), per message
 *  - round trip: alice sends "ping i" to the first member, its reply's message event arrives at
 *    alice — the single message's round trip the fan-out is compared with, same setup, same run
 */
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { configureLogging } from "../src/log.ts";
import { createPeer, type Peer } from "../src/peer/peer.ts";
import { openProfile } from "../src/peer/profile.ts";
import { type Rooms, rooms } from "../src/peer/rooms/rooms.ts";
import type { ServiceFactory } from "../src/peer/service.ts";
import { benchPeerOptions } from "./clients.ts";
import { type Latency, latency } from "./messages.ts";
import { LogTails } from "./log_tails.ts";
import { ECHO_PREFIX, REPLY_PREFIX } from "./peer_process.ts";
import { memberName } from "./room_members_process.ts";
import { type ServerProcess, spawnServerProcess } from "./server_process.ts";

/** The shape of the room bench. */
export interface RoomPlan {
  readonly members: number;
  readonly perProcess: number;
  readonly messages: number;
  readonly roundTrips: number;
  /** Longest wait for the room to form (every member joined), and for one message's fan-out. */
  readonly setupTimeoutMs: number;
  readonly messageTimeoutMs: number;
}

/** What the room bench measured, in milliseconds. */
export interface RoomResult {
  readonly members: number;
  readonly processes: number;
  readonly setupSeconds: number;
  /** From the room's forming until the members were at rest, or until the bench gave up. */
  readonly settle: { readonly seconds: number; readonly atRest: boolean };
  /** Send until the last member had it, one sample per message. */
  readonly fanout: Latency;
  /** Send until the first member's reply arrived. */
  readonly roundTrip: Latency;
  /** CPU time per room message (the fan-outs' loop) and per round trip (the round trips' loop). */
  readonly cpu: { readonly fanout: CpuShares; readonly roundTrip: CpuShares };
}

/** CPU time per operation by process, in milliseconds (user + system, all threads). */
export interface CpuShares {
  /** The bench process: alice, and the bench's reading of the members' logs. */
  readonly alice: number;
  /** The member processes together. */
  readonly members: number;
  readonly rendezvous: number;
}

const ROOM = "#bench";
const PREFIX = "member";

/** Runs the room bench with `plan`. */
export async function benchRoomFanout(plan: RoomPlan): Promise<RoomResult> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-bench-rooms-" });
  const rendezvous = await spawnServerProcess(new URL("./rendezvous_process.ts", import.meta.url));
  const processes: ServerProcess[] = [];
  let alice: Peer<{ rooms: ServiceFactory<Rooms> }> | undefined;
  const profile = await openProfile(join(dir, "alice"));
  const logs: MemberLogs = { tails: new LogTails(), arrivals: new Map() };
  try {
    const setupStart = performance.now();
    // One process after another: the rendezvous throttles registrations in flight per address.
    for (let first = 0; first < plan.members; first += plan.perProcess) {
      const log = join(dir, `members-${first}.log`);
      logs.tails.follow(log);
      processes.push(
        await spawnServerProcess(new URL("./room_members_process.ts", import.meta.url), [
          "--rendezvous",
          rendezvous.address.toString(),
          "--prefix",
          PREFIX,
          "--first",
          String(first),
          "--count",
          String(Math.min(plan.perProcess, plan.members - first)),
          "--log",
          log,
        ]),
      );
    }
    alice = createPeer({
      ...benchPeerOptions(profile, "alice", rendezvous.address.toString()),
      services: { rooms: rooms() },
    });
    const replies = new Map<string, number>();
    alice.on((event) => {
      if (event.type === "message") replies.set(event.text, performance.now());
    });
    await alice.start();
    const room = alice.services.rooms;
    await room.create(ROOM);
    const names = Array.from({ length: plan.members }, (_, i) => memberName(PREFIX, i));
    // One member at a time: each join makes the newcomer look up and message every member so
    // far (its sender key), and all of them at once overran the rendezvous's stream limits.
    const setupEnd = performance.now() + plan.setupTimeoutMs;
    const joined = (name: string) =>
      room.members(ROOM).some((m) => m.username === name && m.joined);
    for (const name of names) {
      await retried(() => room.invite(name, ROOM), setupEnd, `inviting ${name}`);
      await until(() => joined(name) || undefined, setupEnd, `${name}'s join`);
    }
    // The first message after the joins also waits for the members' chains to settle.
    await fanout(room, logs, plan, "warm-up");
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const cpu = cpuMeter(processes, rendezvous);
    const settle = await settled(cpu, processes.length);
    const fanouts: number[] = [];
    const fanoutsStart = await cpu.read();
    for (let i = 0; i < plan.messages; i++) fanouts.push(await fanout(room, logs, plan, `m${i}`));
    const fanoutCpu = cpu.per(fanoutsStart, await cpu.read(), plan.messages);
    const trips: number[] = [];
    let tripsStart = await cpu.read();
    // Three warm-up round trips first, not counted.
    for (let i = -3; i < plan.roundTrips; i++) {
      const start = performance.now();
      await alice.send(names[0]!, `${ECHO_PREFIX}${i}`);
      const arrived = await until(
        () => replies.get(`${REPLY_PREFIX}${i}`),
        performance.now() + plan.messageTimeoutMs,
        `${names[0]}'s reply`,
      );
      if (i >= 0) trips.push(arrived - start);
      if (i === -1) tripsStart = await cpu.read();
    }
    const roundTripCpu = cpu.per(tripsStart, await cpu.read(), plan.roundTrips);
    return {
      members: plan.members,
      processes: processes.length,
      setupSeconds,
      settle,
      fanout: latency(fanouts),
      roundTrip: latency(trips),
      cpu: { fanout: fanoutCpu, roundTrip: roundTripCpu },
    };
  } finally {
    await alice?.stop().catch(() => {});
    profile.close();
    logs.tails.close();
    await Promise.all(processes.map((p) => p.stop()));
    await rendezvous.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    configureLogging("warn");
  }
}

/**
 * The members are at rest once each of their processes uses less than this share of one core,
 * on average, for SETTLED_SECONDS in a row. After the last join they go on for seconds: each
 * newcomer gave every member its sender key over a new pairwise session, and those still
 * arriving and being answered (PQXDH, directory lookups, retries) would be measured along with
 * the room messages. A member process at rest uses 1 % or less (a profiler adds a few %).
 */
const SETTLED_CORE_SHARE = 0.05;
const SETTLED_SECONDS = 2;
/** Longest wait for rest: past it the bench measures anyway and says so. */
const MAX_SETTLE_SECONDS = 60;

/** Waits until the member processes are at rest, or MAX_SETTLE_SECONDS. */
async function settled(
  cpu: ReturnType<typeof cpuMeter>,
  processes: number,
): Promise<{ seconds: number; atRest: boolean }> {
  const start = performance.now();
  let quiet = 0;
  while (quiet < SETTLED_SECONDS) {
    const seconds = (performance.now() - start) / 1000;
    if (seconds > MAX_SETTLE_SECONDS) return { seconds, atRest: false };
    const before = await cpu.read();
    await new Promise((r) => setTimeout(r, 1000));
    const used = cpu.per(before, await cpu.read(), 1).members;
    quiet = used < SETTLED_CORE_SHARE * 1000 * processes ? quiet + 1 : 0;
  }
  return { seconds: (performance.now() - start) / 1000, atRest: true };
}

/** Reads the CPU time of the bench process, `members` and `rendezvous`, and divides it out. */
function cpuMeter(members: readonly ServerProcess[], rendezvous: ServerProcess) {
  return {
    read: async (): Promise<CpuShares> => {
      const { user, system } = cpuUsage();
      const each = await Promise.all(members.map((p) => p.cpuMs()));
      return {
        alice: (user + system) / 1000,
        members: each.reduce((a, b) => a + b, 0),
        rendezvous: await rendezvous.cpuMs(),
      };
    },
    per: (from: CpuShares, to: CpuShares, ops: number): CpuShares => ({
      alice: (to.alice - from.alice) / ops,
      members: (to.members - from.members) / ops,
      rendezvous: (to.rendezvous - from.rendezvous) / ops,
    }),
  };
}

/** The members' logs being read, and when each room message arrived at each member so far. */
interface MemberLogs {
  readonly tails: LogTails;
  readonly arrivals: Map<string, number[]>;
}

/** Sends room message `text`; milliseconds until the last member logged it. */
async function fanout(room: Rooms, logs: MemberLogs, plan: RoomPlan, text: string) {
  const start = performance.timeOrigin + performance.now();
  await room.send(ROOM, text);
  const times = await until(
    async () => {
      for (const line of await logs.tails.newLines()) {
        const [at, , got] = line.split(" ");
        if (got === undefined) continue;
        const times = logs.arrivals.get(got) ?? [];
        times.push(Number(at));
        logs.arrivals.set(got, times);
      }
      const seen = logs.arrivals.get(text) ?? [];
      return seen.length >= plan.members ? seen : undefined;
    },
    performance.now() + plan.messageTimeoutMs,
    `room message ${text} at all ${plan.members} members`,
  );
  return Math.max(...times) - start;
}

/** Runs `attempt` until it succeeds, every 500 ms. @throws its last error after `end`. */
async function retried(attempt: () => Promise<void>, end: number, what: string): Promise<void> {
  while (true) {
    try {
      return await attempt();
    } catch (err: unknown) {
      if (performance.now() > end) {
        throw new Error(`room bench: ${what} failed: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Polls `probe` every 10 ms until it gives a value. @throws Error past `deadline`. */
async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  deadline: number,
  what: string,
): Promise<T> {
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`room bench: no ${what} in time`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
