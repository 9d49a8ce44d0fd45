/** Rooms and members as /rooms and /members show them. */
import type { RoomContext } from "./room_context.ts";
import type { RoomRow, RoomStatus } from "../store/rooms.ts";

/** A room as /rooms shows it. */
export interface RoomInfo {
  readonly name: string;
  readonly status: RoomStatus;
  readonly members: number;
  readonly admin: boolean;
  readonly version: number;
}

/** A member as /members shows it. */
export interface RoomMemberInfo {
  readonly username: string;
  readonly admin: boolean;
  /** We hold its sender key (it joined), or it is us and we joined. */
  readonly joined: boolean;
}

/** `row` as /rooms shows it. */
export function roomInfo(ctx: RoomContext, row: RoomRow): RoomInfo {
  const list = ctx.listOf(row);
  return {
    name: row.localName,
    status: row.status,
    members: list.members.length,
    admin: list.admins.includes(ctx.me),
    version: list.version,
  };
}

/** The members of `row` (admins first), as /members shows them. */
export function roomMembers(ctx: RoomContext, row: RoomRow): RoomMemberInfo[] {
  const list = ctx.listOf(row);
  const me = ctx.me;
  return list.members.map((m) => ({
    username: m.username,
    admin: list.admins.includes(m.username),
    joined: m.username === me
      ? row.status === "joined"
      : ctx.store.chain(row.roomId, m.username)?.chain !== undefined,
  })).sort((a, b) => Number(b.admin) - Number(a.admin));
}
