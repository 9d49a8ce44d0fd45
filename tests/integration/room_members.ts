/** Room members for integration tests: a peer with the rooms service and the room events it saw. */
import { type RoomEvent, type Rooms, rooms } from "../../src/peer/rooms/rooms.ts";
import type { ServiceFactory } from "../../src/peer/service.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

/** A started peer with rooms, and every room event it saw from the start. */
export interface Member {
  readonly t: TestPeer<{ rooms: ServiceFactory<Rooms> }>;
  readonly rooms: Rooms;
  readonly events: RoomEvent[];
}

/** Starts `name` at `address` (registering it) with the rooms service, recording its events. */
export async function member(
  address: Parameters<typeof startPeer>[0],
  name: string,
  options: { profileDir?: string } = {},
): Promise<Member> {
  const events: RoomEvent[] = [];
  const t = await startPeer(address, name, {
    ...options,
    services: { rooms: rooms() },
    beforeStart: (peer) => peer.services.rooms.on((e) => events.push(e)),
  });
  return { t, rooms: t.peer.services.rooms, events };
}

/**
 * Waits until `condition` holds.
 * @throws Error naming `what` after `timeoutMs`.
 */
export async function until(
  what: string,
  condition: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The texts of the room messages `m` received from `from`, in order. */
export function texts(m: Member, from: string): string[] {
  return m.events.flatMap((e) => e.type === "room-message" && e.from === from ? [e.text] : []);
}

/** Whether `m` shows exactly `names` as the members of #ops, all joined. */
export function allJoined(m: Member, names: string[]): boolean {
  const members = m.rooms.members("#ops");
  return names.every((n) => members.find((x) => x.username === n)?.joined === true) &&
    members.length === names.length;
}
