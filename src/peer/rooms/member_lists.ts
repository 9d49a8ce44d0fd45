/**
 * Signed member lists of rooms, sent and received. Membership is the latest list signed by an
 * admin of the list before it (crypto/member_list.ts): the rendezvous, or a member who is not an
 * admin, cannot change it. When a list removes someone, every remaining member who joined starts
 * a new chain and gives it to the other remaining members, so the removed member cannot read
 * later messages.
 *
 * Every member key a list adds (or changes) must be the key we know for that user — pinned, or
 * for a stranger certified by the rendezvous — or the list is refused: an admin cannot vouch
 * for a key the certificate does not. Two admins' concurrent lists are ranked alike by every
 * member (crypto/member_list_choice.ts chooseMemberList); an admin whose list lost signs its change
 * again on top of the winner.
 *
 * Lists are signed with every name qualified (`bob@work`, `alice@home`) and read into the names
 * this peer shows (list_names.ts, RoomContext.peek/sign), so rooms span federated nodes and
 * everything here works in local names.
 */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { bytesEqual } from "../../crypto/bytes.ts";
import { listHash, memberKey, type MemberList, openMemberList } from "../../crypto/member_list.ts";
import { chooseMemberList, rebaseMemberList } from "../../crypto/member_list_choice.ts";
import { RoomListUpdate, SignedMemberList } from "../../proto/room.ts";
import type { ContentMessage } from "../service.ts";
import { toHex } from "../../crypto/bytes.ts";
import type { RoomContext } from "./room_context.ts";
import { decodeOr, RoomError } from "./errors.ts";
import type { SenderKeys } from "./sender_keys.ts";
import type { RoomRow } from "../store/rooms.ts";
import { localSignedList } from "./list_names.ts";

/** The member lists of a peer's rooms. */
export class MemberLists {
  /** `keys` rotates our chain when a list removes someone. */
  constructor(private readonly ctx: RoomContext, private readonly keys: SenderKeys) {}

  /**
   * Signs `next` as the list after `row`'s, stores it, and sends it to `to` (we are skipped) and
   * as an invitation to `invited`. Returns the signed list.
   */
  async publish(
    row: RoomRow,
    next: MemberList,
    to: readonly string[],
    invited: readonly string[] = [],
  ): Promise<Uint8Array> {
    const { ctx } = this;
    const signed = await ctx.sign({ ...next, previous: listHash(row.list) });
    ctx.store.setList(row.roomId, signed, row.list, ctx.now());
    const payload = listUpdate(signed, row.list);
    const members = to.filter((name) => name !== ctx.me);
    await ctx.content.sendContentToAll(members, CONTENT_KINDS.room.members, payload);
    await ctx.content.sendContentToAll(invited, CONTENT_KINDS.room.invite, payload);
    return signed;
  }

  /**
   * "room/invite" (`invite`) and "room/members": a signed member list (with the one it replaces).
   * @throws RoomError when the update is malformed or its list is refused (see `receive`).
   */
  async onUpdate(message: ContentMessage, invite: boolean): Promise<void> {
    const update = decodeOr(() => RoomListUpdate.decode(message.payload), "list update");
    if (update.list === undefined) throw new RoomError("the list update holds no list");
    const parent = update.previous && SignedMemberList.encode(update.previous);
    await this.receive(SignedMemberList.encode(update.list), message.from, invite, true, parent);
  }

  /**
   * Applies the signed list `bytes` from `from`, sent with `sentParent` (the list it replaces):
   * the first list of a room we do not know is an invitation (checked against the signer's
   * pinned key); a later one is chosen against ours (chooseMemberList): newer and signed by an
   * admin of ours, or concurrent with ours and ranked above it. Every key it adds or changes
   * must be the one we know for that member. A stale list, or one we cannot place, throws when
   * `strict`, else (a list gossiped with a sender key) is ignored; a concurrent list that lost to
   * ours is ignored.
   * @throws RoomError (or MemberListError, KeyMismatchError) when the list is refused.
   */
  async receive(
    bytes: Uint8Array,
    from: string,
    invite: boolean,
    strict: boolean,
    sentParent?: Uint8Array,
  ): Promise<void> {
    const { ctx } = this;
    const me = ctx.me;
    const peeked = ctx.peek(bytes);
    const row = ctx.store.get(peeked.list.roomId);
    if (row === undefined) return await this.#firstList(bytes, from, sentParent);
    const current = ctx.listOf(row);
    const held = { current: row.list, ...(row.parent ? { parent: row.parent } : {}) };
    const home = ctx.home();
    const choice = await chooseMemberList(held, bytes, strict ? sentParent : undefined, home);
    if (!choice.take) {
      if (!strict || choice.why === "same" || choice.why === "lost") return;
      throw new RoomError(
        choice.why === "older"
          ? `the list of ${row.localName} is version ${peeked.list.version}; ours is ${current.version}`
          : `the list of ${row.localName} replaces one we do not know (sent without it)`,
      );
    }
    const { list, signer } = localSignedList(choice.opened, home);
    await this.#checkKeys(list, current);
    const now = ctx.now();
    const room = row.localName;
    const names = new Set(list.members.map((m) => m.username));
    const removed = current.members.filter((m) => !names.has(m.username)).map((m) => m.username);
    const added = list.members.filter((m) => !memberKey(current, m.username)).map((m) =>
      m.username
    );
    ctx.store.setList(row.roomId, bytes, choice.parent, now);
    const updated: RoomRow = { ...row, list: bytes, parent: choice.parent };
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
      await this.keys.rotate(updated, ctx.joinedMembers(updated, list));
    }
    await this.#repropose(row, updated, list);
  }

  /**
   * When the list `row` held was ours and lost to a concurrent one (now `list`, in `updated`),
   * signs our change again on top of `list` and sends it.
   */
  async #repropose(row: RoomRow, updated: RoomRow, list: MemberList): Promise<void> {
    const { ctx } = this;
    const ours = ctx.peek(row.list);
    if (ours.signer !== ctx.me || row.parent === undefined || row.status !== "joined") return;
    if (ctx.listOf(updated).version > ours.list.version + 1) return;
    if (updated.parent !== undefined && bytesEqual(updated.parent, row.list)) return; // ours stands
    const parent = ctx.peek(row.parent).list;
    const next = rebaseMemberList(parent, ours.list, list, ctx.me, ctx.now());
    if (next === undefined) return;
    const invited = next.members.map((m) => m.username).filter((n) => !memberKey(list, n));
    const signed = await this.publish(updated, next, usernames(list), invited);
    if (list.members.some((m) => !memberKey(next, m.username))) {
      const latest = { ...updated, list: signed };
      await this.keys.rotate(latest, ctx.joinedMembers(latest, next));
    }
    ctx.emit({
      type: "room-notice",
      room: row.localName,
      text: `another admin changed ${row.localName} at the same time: made our change again`,
    });
  }

  /**
   * Checks that every key `list` gives a member (other than us) that `held` does not is the key
   * we know for that user: pinned, or certified by the rendezvous for a stranger.
   * @throws RoomError when one is not; KeyMismatchError when a member's certified key changed
   * and is not trusted yet; RemoteError when a member cannot be looked up.
   */
  async #checkKeys(list: MemberList, held: MemberList | undefined): Promise<void> {
    const { ctx } = this;
    for (const { username, identityKey } of list.members) {
      if (username === ctx.me) continue;
      const before = held && memberKey(held, username);
      if (before !== undefined && bytesEqual(before, identityKey)) continue;
      const known = (await ctx.users.resolvePeer(username)).publicKey?.raw;
      if (known === undefined || !bytesEqual(known, identityKey)) {
        throw new RoomError(
          `the member list gives ${username} a key that is not the one we know for ${username}`,
        );
      }
    }
  }

  /** The first list of a room we do not know (sent with `sentParent`): an invitation. */
  async #firstList(bytes: Uint8Array, from: string, sentParent?: Uint8Array): Promise<void> {
    const { ctx } = this;
    const home = ctx.home();
    const { list, signer } = localSignedList(await openMemberList(bytes, undefined, home), home);
    await this.#checkKeys(list, undefined);
    ctx.requireMe(list);
    const localName = this.#localName(list);
    const parent = sentParent !== undefined && bytesEqual(listHash(sentParent), list.previous)
      ? { parent: sentParent }
      : {};
    ctx.store.add(
      { roomId: list.roomId, localName, status: "invited", list: bytes, inviter: from, ...parent },
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

/**
 * The "room/invite" and "room/members" payload that carries the signed list `signed` and
 * `previous`, the signed list it replaces (none for version 1).
 */
export function listUpdate(signed: Uint8Array, previous?: Uint8Array): Uint8Array {
  return RoomListUpdate.encode({
    list: SignedMemberList.decode(signed),
    ...(previous ? { previous: SignedMemberList.decode(previous) } : {}),
  });
}

/** The usernames of `list`'s members. */
export function usernames(list: MemberList): string[] {
  return list.members.map((m) => m.username);
}
