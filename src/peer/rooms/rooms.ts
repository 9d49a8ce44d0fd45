/**
 * Rooms (group chat) on a running peer: the facade the CLI uses. Everything travels as the
 * peer's own content kinds over the pairwise Double Ratchet sessions (constants.ts lists them).
 * The parts:
 *
 *   membership.ts    creating, inviting, joining, leaving, kicking
 *   member_lists.ts  signed member lists, sent and received
 *   sender_keys.ts   sender-key chains: stored, rotated, given and received
 *   messaging.ts     room messages, encrypted once for every member who joined
 *   room_history.ts  the room messages kept for /history
 *   broadcast.ts     a text to everyone online
 *
 * One lock here serializes all room work (commands and received room messages), so chain
 * iterations go out in the order of the outbox.
 */
import { KeyedMutex } from "../../net/keyed_mutex.ts";
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import type { MessageIdHex } from "../events.ts";
import type {
  ContentHandler,
  ContentMessage,
  ContentSender,
  Service,
  ServiceFactory,
} from "../service.ts";
import { Broadcast } from "./broadcast.ts";
import { MAX_TRACKED_IDS } from "./constants.ts";
import type { RoomPorts } from "./ports.ts";
import { RoomContext } from "./room_context.ts";
import type { RoomEvent, RoomListener } from "./events.ts";
import { MemberLists } from "./member_lists.ts";
import { Membership } from "./membership.ts";
import { RoomMessaging } from "./messaging.ts";
import type { RoomHistoryLine } from "../store/room_history.ts";
import { SenderKeys } from "./sender_keys.ts";
import { type RoomInfo, roomInfo, type RoomMemberInfo, roomMembers } from "./views.ts";

// The rest of the API the CLI imports from here (each documented where it is defined).
export { MAX_ROOM_TEXT_BYTES } from "./constants.ts";
export type { RoomPorts } from "./ports.ts";
export { RoomError } from "./errors.ts";
export type { RoomEvent, RoomListener } from "./events.ts";
export type { RoomHistoryLine } from "../store/room_history.ts";
export { checkRoomName, checkRoomText } from "./input.ts";
export type { RoomInfo, RoomMemberInfo } from "./views.ts";

/** The rooms service, for createPeer's services: `{ rooms: rooms() }`. */
export function rooms(): ServiceFactory<Rooms> {
  return (ports) => new Rooms(ports);
}

/** Rooms of one peer. */
export class Rooms implements Service {
  /** The room content kinds (and broadcasts), each handled under the rooms' lock. */
  readonly contentHandlers: Readonly<Record<string, ContentHandler>>;
  readonly #listeners = new Set<RoomListener>();
  readonly #ctx: RoomContext;
  readonly #membership: Membership;
  readonly #messaging: RoomMessaging;
  readonly #broadcast: Broadcast;
  readonly #lock = new KeyedMutex<"rooms">();
  readonly #presence: RoomPorts["presence"];
  /** Ids of the pairwise messages rooms sent lately (the REPL does not list their receipts). */
  readonly #sent = new Set<MessageIdHex>();

  /** Rooms over `ports`; made by rooms() when the peer is created. */
  constructor(ports: RoomPorts) {
    const tracked: ContentSender = {
      sendContent: async (to, kind, payload, text) => {
        const id = await ports.content.sendContent(to, kind, payload, text);
        this.#track(id);
        return id;
      },
      sendContentToAll: async (recipients, kind, payload, text) => {
        const ids = await ports.content.sendContentToAll(recipients, kind, payload, text);
        for (const id of ids) this.#track(id);
        return ids;
      },
    };
    const ctx = new RoomContext(ports, tracked, (event) => this.#emit(event));
    const keys = new SenderKeys(ctx);
    const lists = new MemberLists(ctx, keys);
    this.#ctx = ctx;
    this.#presence = ports.presence;
    this.#membership = new Membership(ctx, lists, keys);
    this.#messaging = new RoomMessaging(ctx, keys);
    this.#broadcast = new Broadcast(tracked, ports.presence, (event) => this.#emit(event));
    const locked = (handler: (m: ContentMessage) => Promise<void>): ContentHandler => (m) =>
      this.#exclusive(() => handler(m), true);
    this.contentHandlers = {
      [CONTENT_KINDS.room.invite]: locked((m) => lists.onUpdate(m, true)),
      [CONTENT_KINDS.room.members]: locked((m) => lists.onUpdate(m, false)),
      [CONTENT_KINDS.room.senderKey]: locked(
        (m) => keys.receive(m, (list, from) => lists.receive(list, from, false, false)),
      ),
      [CONTENT_KINDS.room.message]: (m) => this.#exclusive(() => this.#messaging.receive(m)),
      [CONTENT_KINDS.room.leave]: locked((m) => this.#membership.onLeave(m)),
      [CONTENT_KINDS.broadcast]: (m) => this.#broadcast.receive(m),
    };
  }

  /** Whether `id` is a pairwise message rooms sent (a room message or a control message). */
  sentByRooms(id: MessageIdHex): boolean {
    return this.#sent.has(id);
  }

  /** Calls `listener` for every room event; returns a function that stops it. */
  on(listener: RoomListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Creates `name` ("#name") with us as its creator, only member and admin.
   * @throws RoomError when the name is not a room name or we already have a room by that name.
   */
  create(name: string): Promise<RoomInfo> {
    return this.#exclusive(
      async () => roomInfo(this.#ctx, await this.#membership.create(name)),
      true,
    );
  }

  /**
   * Adds `user` to `room` (we must be its admin): signs a new member list, sends it to the
   * members and the invitation to `user`, who accepts with /join.
   * @throws RoomError when we are not an admin of a room we joined, or `user` is a member;
   * RemoteError/KeyMismatchError when `user` cannot be resolved.
   */
  invite(user: string, room: string): Promise<void> {
    return this.#exclusive(() => this.#membership.invite(user, room), true);
  }

  /**
   * Accepts the invitation to `room`: starts our chain and gives it to the members, who answer
   * with theirs.
   * @throws RoomError when there is no invitation to `room`.
   */
  join(room: string): Promise<void> {
    return this.#exclusive(() => this.#membership.join(room), true);
  }

  /**
   * Leaves `room` (or declines its invitation). An admin signs itself out (naming a new admin
   * when it was the last); anyone else asks the admins to.
   * @throws RoomError when we are not in `room`.
   */
  leave(room: string): Promise<void> {
    return this.#exclusive(() => this.#membership.leave(room), true);
  }

  /**
   * Removes `user` from `room` (we must be its admin): signs a new member list without it and
   * sends it to everyone (the removed member included, so it knows); every remaining member
   * then starts a new chain, as do we now.
   * @throws RoomError when we are not an admin, or `user` is not a member or is us.
   */
  kick(user: string, room: string): Promise<void> {
    return this.#exclusive(() => this.#membership.kick(user, room), true);
  }

  /**
   * Sends `text` to everyone who joined `room`: encrypted once with our chain, the same bytes to
   * each. Returns the pairwise message ids.
   * @throws RoomError when we are not in `room` or the text is empty or too long.
   */
  send(room: string, text: string): Promise<MessageIdHex[]> {
    return this.#exclusive(() => this.#messaging.send(room, text));
  }

  /**
   * Sends `text` to every user online at the rendezvous, each copy end-to-end encrypted for its
   * recipient. Returns the recipients.
   * @throws RoomError when the text is empty or too long.
   */
  broadcast(text: string): Promise<string[]> {
    return this.#broadcast.send(text);
  }

  /** Our rooms (joined, invited and left), by name. */
  rooms(): RoomInfo[] {
    return this.#ctx.store.all().map((row) => roomInfo(this.#ctx, row));
  }

  /**
   * The members of `room` (admins first).
   * @throws RoomError when there is no such room.
   */
  members(room: string): RoomMemberInfo[] {
    return roomMembers(this.#ctx, this.#ctx.room(room));
  }

  /**
   * The last `limit` messages of `room` (also one we left), oldest first.
   * @throws RoomError when there is no such room.
   */
  async history(room: string, limit: number): Promise<RoomHistoryLine[]> {
    return await this.#ctx.history.recent(this.#ctx.room(room).roomId, limit);
  }

  /** The peer is logged in: follow the presence of our rooms' members. */
  started(): void {
    this.#followMembers();
  }

  /**
   * Runs `work` after all room work before it (one at a time); when it may change who is in
   * our rooms, follows the members' presence afterwards.
   */
  async #exclusive<T>(work: () => Promise<T>, changesMembers = false): Promise<T> {
    try {
      return await this.#lock.run("rooms", work);
    } finally {
      if (changesMembers) this.#followMembers();
    }
  }

  /**
   * Follows everyone in the rooms we joined or are invited to, and only them (the members of a
   * room we left are unfollowed, unless they are contacts or in another room of ours).
   */
  #followMembers(): void {
    const names = new Set<string>();
    for (const row of this.#ctx.store.all()) {
      if (row.status === "left") continue;
      for (const member of roomMembers(this.#ctx, row)) names.add(member.username);
    }
    names.delete(this.#ctx.me);
    this.#presence.setFollowed([...names]);
  }

  #emit(event: RoomEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** Remembers `id` as sent by rooms, forgetting the oldest beyond MAX_TRACKED_IDS. */
  #track(id: MessageIdHex): void {
    if (this.#sent.size >= MAX_TRACKED_IDS) {
      this.#sent.delete(this.#sent.values().next().value!);
    }
    this.#sent.add(id);
  }
}
