/**
 * Signed member lists of rooms, sent and received. Membership is the latest list signed by an
 * admin of the list before it (crypto/member_list.ts): the rendezvous, or a member who is not an
 * admin, cannot change it. When a list removes someone, every remaining member who joined starts
 * a new chain and gives it to the other remaining members, so the removed member cannot read
 * later messages.
 */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { bytesEqual } from "../../crypto/bytes.ts";
import {
  memberKey,
  type MemberList,
  openMemberList,
  peekMemberList,
  signMemberList,
} from "../../crypto/member_list.ts";
import { RoomListUpdate, SignedMemberList } from "../../proto/room.ts";
import type { ContentMessage } from "../service.ts";
import { toHex } from "../../crypto/bytes.ts";
import type { RoomContext } from "./room_context.ts";
import { decodeOr, RoomError } from "./errors.ts";
import type { SenderKeys } from "./sender_keys.ts";
import type { RoomRow } from "../store/rooms.ts";

/** The member lists of a peer's rooms. */
export class MemberLists {
  /** `keys` rotates our chain when a list removes someone. */
  constructor(private readonly ctx: RoomContext, private readonly keys: SenderKeys) {}

  /** Signs `next`, stores it, and sends it to `to` (we are skipped). Returns the signed list. */
  async publish(row: RoomRow, next: MemberList, to: readonly string[]): Promise<Uint8Array> {
    const { ctx } = this;
    const signed = await signMemberList(ctx.signer, ctx.me, next);
    ctx.store.setList(row.roomId, signed, ctx.now());
    const payload = listUpdate(signed);
    for (const name of to) {
      if (name !== ctx.me) await ctx.content.sendContent(name, CONTENT_KINDS.room.members, payload);
    }
    return signed;
  }

  /**
   * "room/invite" (`invite`) and "room/members": a signed member list.
   * @throws RoomError when the update is malformed or its list is refused (see `receive`).
   */
  async onUpdate(message: ContentMessage, invite: boolean): Promise<void> {
    const update = decodeOr(() => RoomListUpdate.decode(message.payload), "list update");
    if (update.list === undefined) throw new RoomError("the list update holds no list");
    await this.receive(SignedMemberList.encode(update.list), message.from, invite, true);
  }

  /**
   * Applies the signed list `bytes` from `from`: the first list of a room we do not know is an
   * invitation (checked against the signer's pinned key); a later one must be newer and signed
   * by an admin of ours. A stale list throws when `strict`, else (a list gossiped with a sender
   * key) is ignored.
   * @throws RoomError (or MemberListError) when the list is refused.
   */
  async receive(
    bytes: Uint8Array,
    from: string,
    invite: boolean,
    strict: boolean,
  ): Promise<void> {
    const { ctx } = this;
    const me = ctx.me;
    const peeked = peekMemberList(bytes);
    const row = ctx.store.get(peeked.list.roomId);
    if (row === undefined) return await this.#firstList(bytes, from);
    const current = ctx.listOf(row);
    if (peeked.list.version <= current.version) {
      if (bytesEqual(bytes, row.list) || !strict) return; // a resend, or old gossip
      throw new RoomError(
        `the list of ${row.localName} is version ${peeked.list.version}; ours is ${current.version}`,
      );
    }
    const { list, signer } = await openMemberList(bytes, current);
    const now = ctx.now();
    const room = row.localName;
    const names = new Set(list.members.map((m) => m.username));
    const removed = current.members.filter((m) => !names.has(m.username)).map((m) => m.username);
    const added = list.members.filter((m) => !memberKey(current, m.username)).map((m) =>
      m.username
    );
    ctx.store.setList(row.roomId, bytes, now);
    if (!names.has(me)) {
      if (row.status !== "left") {
        ctx.forget(row);
        ctx.emit({ type: "room-notice", room, text: `${signer} removed you from ${room}` });
      }
      return;
    }
    ctx.requireMe(list);
    for (const name of removed) ctx.store.dropMember(row.roomId, name);
    if (row.status === "left" && invite) {
      ctx.store.setStatus(row.roomId, "invited", now);
      ctx.emit({ type: "room-invite", room, from: signer });
    }
    for (const name of added.filter((n) => n !== me)) {
      ctx.emit({ type: "room-notice", room, text: `${signer} invited ${name} to ${room}` });
    }
    for (const name of removed) {
      ctx.emit({ type: "room-notice", room, text: `${name} is no longer in ${room}` });
    }
    if (removed.length > 0 && row.status === "joined") {
      const updated = { ...row, list: bytes };
      await this.keys.rotate(updated, ctx.joinedMembers(updated, list));
    }
  }

  /** The first list of a room we do not know: an invitation, stored as such. */
  async #firstList(bytes: Uint8Array, from: string): Promise<void> {
    const { ctx } = this;
    const { list, signer } = await openMemberList(bytes);
    const pinned = (await ctx.users.resolvePeer(signer)).publicKey?.raw;
    if (pinned === undefined || !bytesEqual(pinned, memberKey(list, signer)!)) {
      throw new RoomError(`the list's key for ${signer} is not the one we know`);
    }
    ctx.requireMe(list);
    const localName = this.#localName(list);
    ctx.store.add(
      { roomId: list.roomId, localName, status: "invited", list: bytes, inviter: from },
      ctx.now(),
    );
    ctx.emit({ type: "room-invite", room: localName, from: signer });
  }

  /** A local name for a new room: its own, or "#name~abcd" when that is taken. */
  #localName(list: MemberList): string {
    if (!this.ctx.store.byName(list.name)) return list.name;
    return `${list.name}~${toHex(list.roomId).slice(0, 4)}`;
  }
}

/** The "room/invite" and "room/members" payload that carries the signed list `signed`. */
export function listUpdate(signed: Uint8Array): Uint8Array {
  return RoomListUpdate.encode({ list: SignedMemberList.decode(signed) });
}
