/**
 * Membership changes: creating a room, inviting, joining, leaving and kicking, and an admin
 * signing out a member who asked to leave. Each change is a new member list signed by an admin
 * (member_lists.ts); a change that removes someone starts new chains (sender_keys.ts).
 */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { memberKey, type MemberList } from "../../crypto/member_list.ts";
import { randomBytes } from "../../crypto/primitives.ts";
import { ROOM_ID_BYTES } from "../../crypto/sender_key.ts";
import { RoomLeave } from "../../proto/room.ts";
import { canonicalName } from "../names.ts";
import { transaction } from "../../store/database.ts";
import type { ContentMessage } from "../service.ts";
import type { RoomContext } from "./room_context.ts";
import { decodeOr, RoomError } from "./errors.ts";
import { checkRoomName } from "./input.ts";
import { type MemberLists, usernames } from "./member_lists.ts";
import type { SenderKeys } from "./sender_keys.ts";
import type { RoomRow } from "../store/rooms.ts";

/** The membership changes of a peer's rooms (the Rooms facade serializes them). */
export class Membership {
  /** `lists` signs and sends the new lists; `keys` starts and gives our chains. */
  constructor(
    private readonly ctx: RoomContext,
    private readonly lists: MemberLists,
    private readonly keys: SenderKeys,
  ) {}

  /**
   * Creates `name` ("#name") with us as its creator, only member and admin. Returns its row.
   * @throws RoomError when the name is not a room name or we already have a room by that name.
   */
  async create(name: string): Promise<RoomRow> {
    const { ctx } = this;
    const roomName = checkRoomName(name);
    if (ctx.store.byName(roomName)) throw new RoomError(`You already have a room ${roomName}`);
    const me = ctx.me;
    const list: MemberList = {
      roomId: randomBytes(ROOM_ID_BYTES),
      name: roomName,
      version: 1,
      creator: me,
      admins: [me],
      members: [{ username: me, identityKey: ctx.signer.publicKey }],
      issuedAt: ctx.now(),
      previous: new Uint8Array(0),
    };
    const signed = await ctx.sign(list);
    const chain = await this.keys.first(list.roomId);
    transaction(ctx.profile.db, () => {
      ctx.store.add(
        { roomId: list.roomId, localName: roomName, status: "joined", list: signed, inviter: "" },
        ctx.now(),
      );
      ctx.store.setChain(list.roomId, me, chain, 0);
    });
    return ctx.store.byName(roomName)!;
  }

  /**
   * Adds `user` to `room` (we must be its admin): signs a new member list, sends it to the
   * members and the invitation to `user` (`bob`, or `bob@work` of another node), who accepts
   * with /join.
   * @throws RoomError when we are not an admin of a room we joined, or `user` is a member;
   * RangeError for a bad name; RemoteError/KeyMismatchError when `user` cannot be resolved.
   */
  async invite(user: string, room: string): Promise<void> {
    const { ctx } = this;
    const { row, name, current } = this.#asAdmin(user, room);
    if (memberKey(current, name)) throw new RoomError(`${name} is already in ${row.localName}`);
    const peerId = await ctx.users.resolvePeer(name);
    const identityKey = peerId.publicKey?.raw;
    if (identityKey === undefined) throw new RoomError(`${name} has no identity key`);
    const next: MemberList = {
      ...current,
      version: current.version + 1,
      members: [...current.members, { username: name, identityKey }],
      issuedAt: ctx.now(),
    };
    await this.lists.publish(row, next, usernames(current), [name]);
  }

  /**
   * Accepts the invitation to `room`: starts our chain and gives it to the members, who answer
   * with theirs.
   * @throws RoomError when there is no invitation to `room`.
   */
  async join(room: string): Promise<void> {
    const { ctx } = this;
    const row = ctx.room(room);
    if (row.status !== "invited") {
      throw new RoomError(
        row.status === "joined"
          ? `You are already in ${row.localName}`
          : `You have no invitation to ${row.localName}`,
      );
    }
    ctx.store.setStatus(row.roomId, "joined", ctx.now());
    const joined = { ...row, status: "joined" as const };
    await this.keys.rotate(joined, ctx.others(ctx.listOf(joined)));
  }

  /**
   * Leaves `room` (or declines its invitation). An admin signs itself out (naming a new admin
   * when it was the last); anyone else asks the admins to.
   * @throws RoomError when we are not in `room`.
   */
  async leave(room: string): Promise<void> {
    const { ctx } = this;
    const row = ctx.room(room);
    if (row.status === "left") throw new RoomError(`You are not in ${row.localName}`);
    const me = ctx.me;
    const current = ctx.listOf(row);
    const others = ctx.others(current);
    if (current.admins.includes(me) && others.length > 0) {
      const next = without(current, me, ctx.now());
      await this.lists.publish(row, {
        ...next,
        admins: next.admins.length > 0 ? next.admins : [others[0]!],
      }, others);
    } else {
      const leave = RoomLeave.encode({ roomId: row.roomId });
      await ctx.content.sendContentToAll(others, CONTENT_KINDS.room.leave, leave);
    }
    ctx.forget(row);
  }

  /**
   * Removes `user` from `room` (we must be its admin): signs a new member list without it and
   * sends it to everyone (the removed member included, so it knows); every remaining member
   * then starts a new chain, as do we now.
   * @throws RoomError when we are not an admin, or `user` is not a member or is us.
   */
  async kick(user: string, room: string): Promise<void> {
    const { ctx } = this;
    const { row, name, current } = this.#asAdmin(user, room);
    if (name === ctx.me) throw new RoomError("Use /leave to leave a room");
    if (!memberKey(current, name)) throw new RoomError(`${name} is not in ${row.localName}`);
    const next = without(current, name, ctx.now());
    ctx.store.dropMember(row.roomId, name);
    await this.lists.publish(row, next, usernames(current));
    await this.keys.rotate(row, ctx.joinedMembers(row, next));
  }

  /**
   * "room/leave": forgets the leaver's chain; the first other admin signs it out and starts a
   * new chain.
   * @throws RoomError when the message is malformed.
   */
  async onLeave(message: ContentMessage): Promise<void> {
    const { ctx } = this;
    const { from } = message;
    const { roomId } = decodeOr(() => RoomLeave.decode(message.payload), "leave message");
    const row = ctx.store.get(roomId);
    if (row === undefined || row.status === "left") return;
    const current = ctx.listOf(row);
    if (!memberKey(current, from)) return; // already signed out
    ctx.store.dropMember(roomId, from);
    const acting = current.admins.find((a) => a !== from);
    if (acting !== ctx.me || row.status !== "joined") return;
    const next = without(current, from, ctx.now());
    const signed = await this.lists.publish(row, next, ctx.others(next));
    ctx.emit({ type: "room-notice", room: row.localName, text: `${from} left` });
    const updated = { ...row, list: signed };
    await this.keys.rotate(updated, ctx.joinedMembers(updated, next));
  }

  /** The room `room` we joined and are an admin of, its list, and `user`'s normalized name. */
  #asAdmin(user: string, room: string): { row: RoomRow; name: string; current: MemberList } {
    const { ctx } = this;
    const row = ctx.joined(room);
    const name = canonicalName(user, ctx.home());
    const current = ctx.listOf(row);
    ctx.requireAdmin(current, row);
    return { row, name, current };
  }
}

/** The next version of `list`, issued at `issuedAt`, without `name` as member or admin. */
function without(list: MemberList, name: string, issuedAt: number): MemberList {
  return {
    ...list,
    version: list.version + 1,
    admins: list.admins.filter((a) => a !== name),
    members: list.members.filter((m) => m.username !== name),
    issuedAt,
  };
}
