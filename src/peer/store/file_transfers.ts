/** File transfers of a peer (table file_transfers): what was offered, accepted, and how far it got. */
import type { DatabaseSync } from "node:sqlite";
import { prepared, selectAll, selectOne } from "../../store/database.ts";

/** Where a transfer stands. */
export type TransferStatus = "offered" | "accepted" | "rejected" | "complete" | "failed";

/** One transfer, either way. */
export interface TransferRow {
  readonly transferId: Uint8Array;
  /** The other side's username. */
  readonly peer: string;
  readonly outgoing: boolean;
  /** The id of the ratchet message that carried the offer (outgoing, once sent). */
  readonly offerMessageId: Uint8Array | undefined;
  /** Outgoing: the base name offered; incoming: the name as offered (unsanitized). */
  readonly name: string;
  readonly size: number;
  readonly sha256: Uint8Array;
  /** The file key, sealed with the profile's storage key (crypto/at_rest.ts). */
  readonly sealedKey: Uint8Array;
  readonly chunkSize: number;
  /** Outgoing: the file offered; incoming: the download directory, then the kept file. */
  readonly path: string;
  /** Incoming: the partial file while downloading. */
  readonly partPath: string;
  readonly verifiedChunks: number;
  readonly status: TransferStatus;
  readonly reason: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface DbRow {
  transfer_id: Uint8Array;
  peer: string;
  outgoing: number;
  offer_message_id: Uint8Array | null;
  name: string;
  size: number;
  sha256: Uint8Array;
  file_key: Uint8Array;
  chunk_size: number;
  path: string;
  part_path: string;
  verified_chunks: number;
  status: TransferStatus;
  reason: string;
  created_at: number;
  updated_at: number;
}

function fromDb(r: DbRow): TransferRow {
  return {
    transferId: new Uint8Array(r.transfer_id),
    peer: r.peer,
    outgoing: r.outgoing === 1,
    offerMessageId: r.offer_message_id === null ? undefined : new Uint8Array(r.offer_message_id),
    name: r.name,
    size: Number(r.size),
    sha256: new Uint8Array(r.sha256),
    sealedKey: new Uint8Array(r.file_key),
    chunkSize: Number(r.chunk_size),
    path: r.path,
    partPath: r.part_path,
    verifiedChunks: Number(r.verified_chunks),
    status: r.status,
    reason: r.reason,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** The file_transfers table. */
export class FileTransferStore {
  constructor(private readonly db: DatabaseSync) {}

  /** Adds a transfer; returns false (changing nothing) when its id is already known. */
  insert(row: Omit<TransferRow, "updatedAt">): boolean {
    const result = prepared(
      this.db,
      `INSERT OR IGNORE INTO file_transfers (transfer_id, peer, outgoing, offer_message_id, name,
         size, sha256, file_key, chunk_size, path, part_path, verified_chunks, status, reason,
         created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      row.transferId,
      row.peer,
      row.outgoing ? 1 : 0,
      row.offerMessageId ?? null,
      row.name,
      row.size,
      row.sha256,
      row.sealedKey,
      row.chunkSize,
      row.path,
      row.partPath,
      row.verifiedChunks,
      row.status,
      row.reason,
      row.createdAt,
      row.createdAt,
    );
    return Number(result.changes) > 0;
  }

  /** The transfer with this id, if any. */
  get(transferId: Uint8Array): TransferRow | undefined {
    const row = selectOne<DbRow>(
      this.db,
      "SELECT * FROM file_transfers WHERE transfer_id = ?",
      transferId,
    );
    return row && fromDb(row);
  }

  /** The outgoing transfer whose offer went out as message `messageId`. */
  byOfferMessage(messageId: Uint8Array): TransferRow | undefined {
    const row = selectOne<DbRow>(
      this.db,
      "SELECT * FROM file_transfers WHERE offer_message_id = ?",
      messageId,
    );
    return row && fromDb(row);
  }

  /** Transfers in `status` (all when undefined), oldest first. */
  list(status?: TransferStatus): TransferRow[] {
    const rows = status === undefined
      ? selectAll<DbRow>(this.db, "SELECT * FROM file_transfers ORDER BY created_at, rowid")
      : selectAll<DbRow>(
        this.db,
        "SELECT * FROM file_transfers WHERE status = ? ORDER BY created_at, rowid",
        status,
      );
    return rows.map(fromDb);
  }

  /** Records the message id of an outgoing offer. */
  setOfferMessage(transferId: Uint8Array, messageId: Uint8Array, now: number): void {
    prepared(
      this.db,
      "UPDATE file_transfers SET offer_message_id = ?, updated_at = ? WHERE transfer_id = ?",
    ).run(messageId, now, transferId);
  }

  /**
   * Moves a transfer to `status` when it is in one of `from`; returns whether it moved.
   */
  transition(
    transferId: Uint8Array,
    from: readonly TransferStatus[],
    status: TransferStatus,
    now: number,
    changes: { reason?: string; path?: string; partPath?: string } = {},
  ): boolean {
    const result = prepared(
      this.db,
      `UPDATE file_transfers SET status = ?, reason = coalesce(?, reason),
         path = coalesce(?, path), part_path = coalesce(?, part_path), updated_at = ?
       WHERE transfer_id = ? AND status IN (SELECT value FROM json_each(?))`,
    ).run(
      status,
      changes.reason ?? null,
      changes.path ?? null,
      changes.partPath ?? null,
      now,
      transferId,
      JSON.stringify(from),
    );
    return Number(result.changes) > 0;
  }

  /** Records how many chunks of an incoming transfer are verified and written. */
  setVerified(transferId: Uint8Array, chunks: number, now: number): void {
    prepared(
      this.db,
      "UPDATE file_transfers SET verified_chunks = ?, updated_at = ? WHERE transfer_id = ?",
    ).run(chunks, now, transferId);
  }
}
