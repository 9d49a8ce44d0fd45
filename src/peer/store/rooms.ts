/**
 * The rooms a peer knows and their sender-key chains (peer.db tables `rooms`, `room_chains`).
 * Chains arrive here already sealed with the storage key (sender_keys.ts does that); this class only
 * reads and writes rows.
 */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll, selectOne } from "../../store/database.ts";
import { writeIfCurrent } from "./compare_and_set.ts";

/** Where we stand in a room. */
export type RoomStatus = "invited" | "joined" | "left";

/** One row of `rooms`. */
export interface RoomRow {
  readonly roomId: Uint8Array;
  readonly localName: string;
  readonly status: RoomStatus;
  /** The latest SignedMemberList accepted. */
  readonly list: Uint8Array;
  /** The SignedMemberList `list` replaced, when known (to rank a concurrent list). */
  readonly parent?: Uint8Array;
  /** Who invited us ("" for a room we created). */
  readonly inviter: string;
}

/** One row of `room_chains`. */
export interface ChainRow {
  readonly member: string;
  /** The member's chain, sealed; undefined until the member sent it. */
  readonly chain?: Uint8Array;
  /** The generation of our own chain given to this member (0: none yet). */
  readonly sharedGeneration: number;
  /** The version of `chain` (0: no chain yet); setChain succeeds only while it is unchanged. */
  readonly version: number;
}

interface RawRoom {
  room_id: Uint8Array;
  local_name: string;
  status: RoomStatus;
  list: Uint8Array;
  parent_list: Uint8Array | null;
  inviter: string;
}

function toRoom(row: RawRoom): RoomRow {
  return {
    roomId: new Uint8Array(row.room_id),
    localName: row.local_name,
    status: row.status,
    list: new Uint8Array(row.list),
    ...(row.parent_list === null ? {} : { parent: new Uint8Array(row.parent_list) }),
    inviter: row.inviter,
  };
}

/** The rooms and room_chains tables. */
export class RoomStore {
  constructor(private readonly db: DatabaseSync) {}

  /** The room with `roomId`, or undefined. */
  get(roomId: Uint8Array): RoomRow | undefined {
    const row = selectOne<RawRoom>(this.db, "SELECT * FROM rooms WHERE room_id = ?", roomId);
    return row && toRoom(row);
  }

  /** The room named `localName` here, or undefined. */
  byName(localName: string): RoomRow | undefined {
    const row = selectOne<RawRoom>(this.db, "SELECT * FROM rooms WHERE local_name = ?", localName);
    return row && toRoom(row);
  }

  /** Every room, by name. */
  all(): RoomRow[] {
    return selectAll<RawRoom>(this.db, "SELECT * FROM rooms ORDER BY local_name").map(toRoom);
  }

  /** Adds a room. */
  add(room: RoomRow, now: number): void {
    prepared(
      this.db,
      `INSERT INTO rooms (room_id, local_name, status, list, parent_list, inviter, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      room.roomId,
      room.localName,
      room.status,
      room.list,
      room.parent ?? null,
      room.inviter,
      now,
    );
  }

  /** Replaces a room's member list with `list`, which replaced `parent` (when known). */
  setList(roomId: Uint8Array, list: Uint8Array, parent: Uint8Array | undefined, now: number): void {
    prepared(
      this.db,
      "UPDATE rooms SET list = ?, parent_list = ?, updated_at = ? WHERE room_id = ?",
    ).run(list, parent ?? null, now, roomId);
  }

  /** Sets where we stand in a room. */
  setStatus(roomId: Uint8Array, status: RoomStatus, now: number): void {
    prepared(this.db, "UPDATE rooms SET status = ?, updated_at = ? WHERE room_id = ?").run(
      status,
      now,
      roomId,
    );
  }

  /** The chain row of `member` in a room, or undefined. */
  chain(roomId: Uint8Array, member: string): ChainRow | undefined {
    const row = selectOne<{
      member: string;
      chain: Uint8Array | null;
      shared_generation: number;
      chain_version: number;
    }>(
      this.db,
      "SELECT * FROM room_chains WHERE room_id = ? AND member = ?",
      roomId,
      member,
    );
    if (row === undefined) return undefined;
    return {
      member: row.member,
      ...(row.chain === null ? {} : { chain: new Uint8Array(row.chain) }),
      sharedGeneration: Number(row.shared_generation),
      version: Number(row.chain_version),
    };
  }

  /**
   * Stores `member`'s sealed chain (ours when `member` is our name), derived from the chain of
   * version `derivedFrom` (0: from none) — only while the row still has that version
   * (compare-and-set), so two processes cannot both move one chain on from the same state.
   * @throws StaleStateError when the row's chain moved on since `derivedFrom` was read.
   */
  setChain(roomId: Uint8Array, member: string, chain: Uint8Array, derivedFrom: number): void {
    const what = `the sender key of ${member}`;
    if (derivedFrom === 0) {
      writeIfCurrent(
        this.db,
        what,
        `INSERT INTO room_chains (room_id, member, chain, chain_version) VALUES (?, ?, ?, 1)
         ON CONFLICT (room_id, member) DO UPDATE SET chain = excluded.chain, chain_version = 1
         WHERE room_chains.chain_version = 0`,
        roomId,
        member,
        chain,
      );
    } else {
      writeIfCurrent(
        this.db,
        what,
        `UPDATE room_chains SET chain = ?, chain_version = chain_version + 1
         WHERE room_id = ? AND member = ? AND chain_version = ?`,
        chain,
        roomId,
        member,
        derivedFrom,
      );
    }
  }

  /** Notes that `member` has our chain of `generation`. */
  setShared(roomId: Uint8Array, member: string, generation: number): void {
    prepared(
      this.db,
      `INSERT INTO room_chains (room_id, member, shared_generation) VALUES (?, ?, ?)
       ON CONFLICT (room_id, member) DO UPDATE SET shared_generation = excluded.shared_generation`,
    ).run(roomId, member, generation);
  }

  /** Forgets `member`'s chain and what we shared with it. */
  dropMember(roomId: Uint8Array, member: string): void {
    prepared(this.db, "DELETE FROM room_chains WHERE room_id = ? AND member = ?").run(
      roomId,
      member,
    );
  }

  /** Forgets every chain of a room (we left it). */
  dropChains(roomId: Uint8Array): void {
    prepared(this.db, "DELETE FROM room_chains WHERE room_id = ?").run(roomId);
  }
}
