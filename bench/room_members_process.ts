/**
 * Several full tincan peers with rooms in one process, room members for the room fan-out bench
 * (bench/rooms.ts): each joins every room it is invited to, answers a direct message starting
 * with ECHO_PREFIX as bench/peer_process.ts does, and appends a line
 * `<epoch ms, fractional> <username> <text>` to the --log file for every room message it
 * receives (times from performance.timeOrigin + performance.now(), comparable across processes on
 * one machine). The members register and log in one after another. Stdio: child_loop.ts, printing
 * the first peer's listen address once all are logged in.
 *
 * Usage: room_members_process.ts --rendezvous ADDR --prefix NAME --first I --count N --log FILE
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { configureLogging } from "../src/log.ts";
import { createPeer } from "../src/peer/peer.ts";
import { openProfile, type Profile } from "../src/peer/profile.ts";
import { rooms } from "../src/peer/rooms/rooms.ts";
import { serveStdio } from "./child_loop.ts";
import { benchPeerOptions } from "./clients.ts";
import { ECHO_PREFIX, REPLY_PREFIX } from "./peer_process.ts";

/** The username of member `index` of the members named `prefix`. */
export function memberName(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(3, "0")}`;
}

async function startMember(
  dir: string,
  username: string,
  rendezvous: string,
  log: Deno.FsFile,
) {
  const profile: Profile = await openProfile(join(dir, username));
  const peer = createPeer({
    ...benchPeerOptions(profile, username, rendezvous),
    services: { rooms: rooms() },
  });
  const encoder = new TextEncoder();
  peer.services.rooms.on((event) => {
    if (event.type === "room-invite") void peer.services.rooms.join(event.room).catch(() => {});
    if (event.type === "room-message") {
      const at = performance.timeOrigin + performance.now();
      void log.write(encoder.encode(`${at} ${username} ${event.text}\n`));
    }
  });
  peer.on((event) => {
    if (event.type === "message" && event.text.startsWith(ECHO_PREFIX)) {
      void peer.send(event.from, REPLY_PREFIX + event.text.slice(ECHO_PREFIX.length));
    }
  });
  await peer.start();
  return { peer, profile };
}

async function main(): Promise<never> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rendezvous: { type: "string" },
      prefix: { type: "string" },
      first: { type: "string" },
      count: { type: "string" },
      log: { type: "string" },
    },
  });
  const { rendezvous, prefix, log: logPath } = values;
  const first = Number(values.first);
  const count = Number(values.count);
  if (
    rendezvous === undefined || prefix === undefined || logPath === undefined ||
    !Number.isSafeInteger(first) || !Number.isSafeInteger(count) || count < 1
  ) {
    throw new TypeError(
      "room_members_process.ts needs --rendezvous ADDR --prefix NAME --first I --count N --log FILE",
    );
  }
  // Fifty peers forming a room log hundreds of retried lookups; the bench reports the setup time.
  configureLogging("error", { write: () => {} });
  const dir = await Deno.makeTempDir({ prefix: `tincan-bench-${prefix}${first}-` });
  const log = await Deno.open(logPath, { write: true, append: true, create: true });
  // One at a time: the rendezvous throttles registrations in flight from one address.
  const members: Awaited<ReturnType<typeof startMember>>[] = [];
  for (let i = 0; i < count; i++) {
    members.push(await startMember(dir, memberName(prefix, first + i), rendezvous, log));
  }
  return await serveStdio(members[0]!.peer.node.getMultiaddrs().map(String), async () => {
    await Promise.all(members.map((m) => m.peer.stop().catch(() => {})));
    for (const m of members) m.profile.close();
    log.close();
    await Deno.remove(dir, { recursive: true });
  });
}

if (import.meta.main) await main();
