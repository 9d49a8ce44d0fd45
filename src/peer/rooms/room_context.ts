/**
 * What the parts of a peer's rooms share: the ports, the room store and history, our signer, the
 * clock and the event sink, with the room look-ups and membership checks each part makes.
 */
import { bytesEqual, toHex } from "../../crypto/bytes.ts";
import {
  memberKey,
  type MemberList,
  peekMemberList,
  type SignedList,
  signMemberList,
} from "../../crypto/member_list.ts";
import { type Signer, signerFromPrivateKey } from "../../crypto/primitives.ts";
import { transaction } from "../../store/database.ts";
import type { ContentSender, UserResolver } from "../service.ts";
import { RoomError } from "./errors.ts";
import { localSignedList, qualifiedList, qualifiedName } from "./list_names.ts";
import type { RoomEvent } from "./events.ts";
import { checkRoomName } from "./input.ts";
import { RoomHistory } from "../store/room_history.ts";
import { type RoomRow, RoomStore } from "../store/rooms.ts";
import type { RoomPorts } from "./ports.ts";

/** Rooms whose stored list is kept decoded (listOf): beyond, the least recently used goes. */
const MAX_DECODED_LISTS = 64;

/** The collaborators every room part receives, and the checks they share. */
export class RoomContext {
  /**
   * The stored list of each room lately asked for, decoded, by room id: every room message
   * sent or received asks for it, and decoding 50 members' names and keys cost more than
   * opening the message itself. Used while the stored bytes and our home name are the same.
   */
  readonly #decoded = new Map<
    string,
    { readonly bytes: Uint8Array; readonly home: string | undefined; readonly list: MemberList }
  >();

  /** The rooms and chains of the peer's profile. */
  readonly store: RoomStore;
  /** The messages of our rooms, sent and received. */
  readonly history: RoomHistory;
  /** Our identity: signs the member lists and room messages we issue. */
  readonly signer: Signer;
  /** Our username. */
  readonly me: string;
  /** Sends the room content kinds. */
  readonly content: ContentSender;
  /** Finds members' trusted keys. */
  readonly users: Pick<UserResolver, "resolvePeer">;
  readonly now: () => number;
  /** The profile's database (rooms, chains) and storage key (sealed chains). */
  readonly profile: RoomPorts["profile"];
  /** Our home's name, once the rendezvous said it: signed lists qualify names with it. */
  readonly home: () => string | undefined;

  /** `content` is the rooms' own sender (it tracks what rooms sent); `emit` tells the user. */
  constructor(
    ports: RoomPorts,
    content: ContentSender,
    readonly emit: (event: RoomEvent) => void,
  ) {
    const { profile } = ports;
    this.store = new RoomStore(profile.db);
    this.history = new RoomHistory(profile.db, profile.storageKey);
    this.signer = signerFromPrivateKey(profile.identity);
    this.me = ports.username;
    this.content = content;
    this.users = ports.users;
    this.now = ports.now;
    this.profile = profile;
    this.home = ports.home;
  }

  /**
   * The room named `name` here.
   * @throws RoomError when `name` is not a room name or we have no such room.
   */
  room(name: string): RoomRow {
    const roomName = checkRoomName(name);
    const row = this.store.byName(roomName);
    if (row === undefined) throw new RoomError(`You have no room ${roomName}`);
    return row;
  }

  /**
   * The room named `name` here, which we joined.
   * @throws RoomError when there is no such room or we are only invited to it or left it.
   */
  joined(name: string): RoomRow {
    const row = this.room(name);
    if (row.status === "invited") {
      throw new RoomError(`You are invited to ${row.localName}: /join ${row.localName} first`);
    }
    if (row.status !== "joined") throw new RoomError(`You are not in ${row.localName}`);
    return row;
  }

  /** The stored list of `row` (checked when it was stored), in the names we show. */
  listOf(row: RoomRow): MemberList {
    const key = toHex(row.roomId);
    const home = this.home();
    const known = this.#decoded.get(key);
    this.#decoded.delete(key);
    const list = known !== undefined && known.home === home && bytesEqual(known.bytes, row.list)
      ? known.list
      : this.peek(row.list).list;
    this.#decoded.set(key, { bytes: row.list, home, list });
    if (this.#decoded.size > MAX_DECODED_LISTS) {
      this.#decoded.delete(this.#decoded.keys().next().value!);
    }
    return list;
  }

  /**
   * The signed list `bytes` unchecked, its names as we show them (list_names.ts).
   * @throws MemberListError when it is malformed.
   */
  peek(bytes: Uint8Array): SignedList {
    const home = this.home();
    return localSignedList(peekMemberList(bytes, home), home);
  }

  /**
   * Signs `list` (in the names we show) as us, every name qualified with its home.
   * @throws RangeError when the list is malformed or we are not an admin in it.
   */
  async sign(list: MemberList): Promise<Uint8Array> {
    const home = this.home();
    return await signMemberList(
      this.signer,
      qualifiedName(this.me, home),
      qualifiedList(list, home),
    );
  }

  /** The other members of `list`. */
  others(list: MemberList): string[] {
    return list.members.map((m) => m.username).filter((n) => n !== this.me);
  }

  /** The other members of `list` whose chain we hold in `row` (they joined). */
  joinedMembers(row: RoomRow, list: MemberList): string[] {
    return this.others(list).filter((n) => this.store.chain(row.roomId, n)?.chain !== undefined);
  }

  /**
   * Checks that we are an admin of `list`, the list of `row`.
   * @throws RoomError when we are not.
   */
  requireAdmin(list: MemberList, row: RoomRow): void {
    if (!list.admins.includes(this.me)) {
      throw new RoomError(`Only an admin of ${row.localName} can do that`);
    }
  }

  /**
   * Checks that `list` lists us with our key.
   * @throws RoomError when it does not.
   */
  requireMe(list: MemberList): void {
    const key = memberKey(list, this.me);
    if (key === undefined || !bytesEqual(key, this.signer.publicKey)) {
      throw new RoomError("the member list does not list us with our key");
    }
  }

  /** Marks `row` left and forgets its chains (we are no longer in it). */
  forget(row: RoomRow): void {
    transaction(this.profile.db, () => {
      this.store.setStatus(row.roomId, "left", this.now());
      this.store.dropChains(row.roomId);
    });
  }
}
