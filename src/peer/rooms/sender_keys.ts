/**
 * Sender-key chains in rooms: ours and those members gave us, sealed at rest in the room store
 * (bound to room and member); ours started anew (rotated) and given to members; theirs received.
 * A member counts as joined for us once we hold its chain.
 */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import { openAtRest, sealAtRest } from "../../crypto/at_rest.ts";
import { memberKey, peekMemberList } from "../../crypto/member_list.ts";
import { concat } from "../../crypto/primitives.ts";
import {
  chainFromState,
  decodeChain,
  encodeChain,
  newSenderChain,
  type ReceiverChain,
  type SenderChain,
} from "../../crypto/sender_key.ts";
import { RoomSenderKey, SignedMemberList } from "../../proto/room.ts";
import { transaction } from "../../store/database.ts";
import type { ContentMessage } from "../service.ts";
import type { RoomContext } from "./room_context.ts";
import { decodeOr, RoomError } from "./errors.ts";
import type { RoomRow } from "../store/rooms.ts";

const encoder = new TextEncoder();
const CHAIN_CONTEXT = encoder.encode("room-chain");
const MAX_U32 = 0xffffffff;

/** A chain as stored, with its row's version: a chain derived from it is saved against that. */
export interface StoredChain<T extends SenderChain> {
  readonly chain: T;
  readonly version: number;
}

/** Applies a signed member list a member sent along with its chain (gossip). */
export type ApplyList = (list: Uint8Array, from: string) => Promise<void>;

/** The sender-key chains of a peer's rooms. */
export class SenderKeys {
  /** `ctx` is shared with the other room parts. */
  constructor(private readonly ctx: RoomContext) {}

  /** `member`'s chain in `roomId` as stored, opened, and its version; undefined when none. */
  async load(roomId: Uint8Array, member: string): Promise<StoredChain<ReceiverChain> | undefined> {
    const row = this.ctx.store.chain(roomId, member);
    if (row?.chain === undefined) return undefined;
    const opened = await openAtRest(
      this.ctx.profile.storageKey,
      row.chain,
      chainContext(roomId, member),
    );
    return { chain: decodeChain(opened), version: row.version };
  }

  /**
   * Seals `chain` and stores it as `member`'s in `roomId` (ours when `member` is us), in one
   * transaction with the writes of `alongside` (the message the chain moved on for) — only while
   * the stored chain is still of version `derivedFrom` (0: none), the one `chain` came from.
   * @throws StaleStateError when another process moved the stored chain on meanwhile.
   */
  async save(
    roomId: Uint8Array,
    member: string,
    chain: SenderChain | ReceiverChain,
    derivedFrom: number,
    alongside?: () => void,
  ): Promise<void> {
    const write = await this.saving(roomId, member, chain, derivedFrom);
    transaction(this.ctx.profile.db, () => {
      write();
      alongside?.();
    });
  }

  /**
   * Seals `chain` now and returns the write that stores it, for the caller's own transaction
   * (save does it in one of its own).
   * @throws StaleStateError, from the write, as save does.
   */
  async saving(
    roomId: Uint8Array,
    member: string,
    chain: SenderChain | ReceiverChain,
    derivedFrom: number,
  ): Promise<() => void> {
    const sealed = await this.#seal(roomId, member, chain);
    return () => this.ctx.store.setChain(roomId, member, sealed, derivedFrom);
  }

  /** Our first chain in the new room `roomId`, sealed for the caller to store. */
  async first(roomId: Uint8Array): Promise<Uint8Array> {
    return await this.#seal(roomId, this.ctx.me, this.#next(undefined));
  }

  /** Our chain in `row` and its version, started (and stored) when we hold none yet. */
  async own(row: RoomRow): Promise<StoredChain<SenderChain>> {
    const me = this.ctx.me;
    const stored = await this.load(row.roomId, me);
    if (stored !== undefined) return stored;
    const chain = this.#next(undefined);
    await this.save(row.roomId, me, chain, 0);
    return { chain, version: 1 };
  }

  /** Starts a new chain of ours in `row` (a new generation) and gives it to `to`. */
  async rotate(row: RoomRow, to: readonly string[]): Promise<void> {
    const me = this.ctx.me;
    const current = await this.load(row.roomId, me);
    const chain = this.#next(current?.chain);
    await this.save(row.roomId, me, chain, current?.version ?? 0);
    await this.share(row, chain, to);
  }

  /** Sends our `chain` (with the list we hold) to `to`, noting the generation each one has. */
  async share(row: RoomRow, chain: SenderChain, to: readonly string[]): Promise<void> {
    const { store, content } = this.ctx;
    const current = store.get(row.roomId) ?? row;
    const payload = RoomSenderKey.encode({
      list: SignedMemberList.decode(current.list),
      chain: { ...chain, skipped: [] },
    });
    for (const name of to) {
      await content.sendContent(name, CONTENT_KINDS.room.senderKey, payload);
      store.setShared(row.roomId, name, chain.generation);
    }
  }

  /**
   * "room/sender-key": a member's chain, with the list it holds (given to `applyList` first).
   * Keeps the chain when it is newer than the one we hold, and gives ours to a member that lacks
   * its latest generation.
   * @throws RoomError when the message is malformed, we are not in its room, or the sender is not.
   */
  async receive(message: ContentMessage, applyList: ApplyList): Promise<void> {
    const { from } = message;
    const { store } = this.ctx;
    const update = decodeOr(() => RoomSenderKey.decode(message.payload), "sender key");
    if (update.list === undefined || update.chain === undefined) {
      throw new RoomError("the sender key message is incomplete");
    }
    const listBytes = SignedMemberList.encode(update.list);
    await applyList(listBytes, from);
    const roomId = peekMemberList(listBytes).list.roomId;
    const row = store.get(roomId);
    if (row === undefined || row.status === "left") {
      throw new RoomError("we are not in that room");
    }
    if (!memberKey(this.ctx.listOf(row), from)) {
      throw new RoomError(`${from} is not in ${row.localName}`);
    }
    const chain = chainFromState(update.chain);
    const previous = await this.load(roomId, from);
    if (previous && previous.chain.generation >= chain.generation) return; // a resend or older
    await this.save(roomId, from, chain, previous?.version ?? 0);
    if (previous === undefined && await this.#joinedAfterUs(row, from, chain)) {
      this.ctx.emit({ type: "room-notice", room: row.localName, text: `${from} joined` });
    }
    if (row.status !== "joined") return;
    const own = await this.own(row);
    if ((store.chain(roomId, from)?.sharedGeneration ?? 0) < own.chain.generation) {
      await this.share(row, own.chain, [from]);
    }
  }

  /**
   * Whether `from`, whose first chain we just received, joined after us (worth a "joined"
   * notice) rather than being in the room already and answering our own join: not the member
   * who invited us, and a chain no older than ours (a first chain's generation is its
   * creation time, in seconds).
   */
  async #joinedAfterUs(row: RoomRow, from: string, chain: ReceiverChain): Promise<boolean> {
    if (from === row.inviter) return false;
    const mine = await this.load(row.roomId, this.ctx.me);
    return mine === undefined || chain.generation >= mine.chain.generation;
  }

  /** A new chain whose generation is above `previous`'s and, after a restart, above any before. */
  #next(previous: SenderChain | undefined): SenderChain {
    const seconds = Math.floor(this.ctx.now() / 1000) % MAX_U32;
    return newSenderChain(Math.max(seconds, (previous?.generation ?? 0) + 1) % MAX_U32);
  }

  async #seal(
    roomId: Uint8Array,
    member: string,
    chain: SenderChain | ReceiverChain,
  ): Promise<Uint8Array> {
    return await sealAtRest(
      this.ctx.profile.storageKey,
      encodeChain(chain),
      chainContext(roomId, member),
    );
  }
}

/** The at-rest context of `member`'s chain in `roomId`: binds a sealed chain to its row. */
function chainContext(roomId: Uint8Array, member: string): Uint8Array {
  return concat(CHAIN_CONTEXT, Uint8Array.of(0), roomId, encoder.encode(member));
}
