/**
 * What the sending, receiving and download sides of file transfers share: the ports, the
 * file_transfers table, the clock, the event listeners, the data streams running, and the steps
 * every side takes (record a transfer, move it to a new status and say so, reply over the ratchet,
 * open its file key).
 */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import type { Stream } from "@libp2p/interface";
import { type Logger, logger } from "../../log.ts";
import { FileReply } from "../../proto/file.ts";
import type { ContentSender, StreamOpener, UserResolver } from "../service.ts";
import {
  FileTransferStore,
  type TransferRow,
  type TransferStatus,
} from "../store/file_transfers.ts";
import { toHex } from "../../crypto/bytes.ts";
import type { ChunkPlan } from "./data_transfer.ts";
import { FileTransferError } from "./errors.ts";
import type { FileEvent, FileListener, TransferInfo } from "./events.ts";
import { openFileKey, sealFileKey } from "./file_key.ts";
import type { FilePorts } from "./ports.ts";
import { safeBaseName } from "./safe_name.ts";

/** The statuses of a transfer that has not settled yet. */
export const OPEN_STATUSES = ["offered", "accepted"] as const;

/**
 * The transfer of `rows` that `id` names (a unique prefix of its hex id), or the only one when
 * `id` is undefined. `what` and `state` word the errors: "no pending file offer 3f2a", "2 transfers
 * are open: name one (…)".
 * @throws FileTransferError when no row matches, or several do.
 */
export function pickTransfer(
  rows: readonly TransferRow[],
  id: string | undefined,
  what: string,
  state: string,
): TransferRow {
  const wanted = id?.toLowerCase();
  const matches = wanted === undefined
    ? rows
    : rows.filter((row) => wanted !== "" && toHex(row.transferId).startsWith(wanted));
  if (matches.length === 1) return matches[0]!;
  if (id !== undefined) {
    throw new FileTransferError(
      matches.length === 0 ? `no ${state} ${what} ${id}` : `${id} names several ${what}s`,
    );
  }
  throw new FileTransferError(
    matches.length === 0
      ? `no ${what} is ${state}`
      : `${matches.length} ${what}s are ${state}: name one (${
        matches.map((r) => toHex(r.transferId).slice(0, 8)).join(", ")
      })`,
  );
}

/** The fields of a new transfer; the rest start as "offered" with nothing done. */
export interface NewTransfer {
  readonly transferId: Uint8Array;
  readonly peer: string;
  readonly outgoing: boolean;
  readonly name: string;
  readonly size: number;
  readonly sha256: Uint8Array;
  readonly fileKey: Uint8Array;
  readonly chunkSize: number;
  readonly path: string;
}

/** The collaborators and shared steps of one peer's file transfers. */
export class TransferContext {
  /** The file_transfers table of the profile. */
  readonly store: FileTransferStore;
  /** The scoped logger ("files:<username>"). */
  readonly log: Logger;
  readonly #listeners = new Set<FileListener>();
  /** Our username. */
  readonly me: string;
  /** Sends offers and replies. */
  readonly content: Pick<ContentSender, "sendContent">;
  /** PeerIds of users and back. */
  readonly users: UserResolver;
  /** Opens data streams. */
  readonly streams: StreamOpener;
  /** The clock, in ms. */
  readonly now: () => number;
  readonly #storageKey: Uint8Array;
  /** The data stream running for each transfer (hex id), either way. */
  readonly #running = new Map<string, Stream>();

  constructor(ports: FilePorts) {
    this.store = new FileTransferStore(ports.profile.db);
    this.log = logger(`files:${ports.username}`);
    this.me = ports.username;
    this.content = ports.content;
    this.users = ports.users;
    this.streams = ports.streams;
    this.now = ports.now;
    this.#storageKey = ports.profile.storageKey;
  }

  /** Calls `listener` for every file event; returns a function that stops it. */
  on(listener: FileListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener; a listener that throws is logged, not propagated. */
  emit(event: FileEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err: unknown) {
        this.log.error(`a file event listener threw: ${(err as Error).message}`);
      }
    }
  }

  /** A transfer as shown to users (incoming names reduced to their safe base name). */
  info(row: TransferRow): TransferInfo {
    return {
      id: toHex(row.transferId),
      peer: row.peer,
      outgoing: row.outgoing,
      name: row.outgoing ? row.name : safeBaseName(row.name),
      size: row.size,
      sha256: toHex(row.sha256),
      path: row.path,
    };
  }

  /** Records a new offered transfer, its file key sealed at rest; returns its row. */
  async record(transfer: NewTransfer): Promise<TransferRow> {
    const { fileKey, ...fields } = transfer;
    this.store.insert({
      ...fields,
      offerMessageId: undefined,
      sealedKey: await sealFileKey(this.#storageKey, transfer.transferId, fileKey),
      partPath: "",
      verifiedChunks: 0,
      status: "offered",
      reason: "",
      createdAt: this.now(),
    });
    return this.store.get(transfer.transferId)!;
  }

  /**
   * Moves `row` from one of `from` to `status` (recording `how.reason` when given) and, when it
   * moved, sends `how.reply` to the peer (when given) and emits the matching event; returns
   * whether it moved.
   */
  settle(
    row: TransferRow,
    from: readonly TransferStatus[],
    status: "accepted" | "rejected" | "complete" | "failed",
    how: {
      readonly reason?: string;
      readonly reply?: FileReply.Result;
      /** Runs once the transition is made, before anyone hears of it (stream reset, file removed). */
      readonly cleanUp?: () => void;
    } = {},
  ): boolean {
    const { reason } = how;
    const changes = reason === undefined ? {} : { reason };
    if (!this.store.transition(row.transferId, from, status, this.now(), changes)) return false;
    how.cleanUp?.();
    if (how.reply !== undefined) this.reply(row, how.reply, reason ?? "");
    const transfer = this.info(row);
    if (status === "accepted") this.emit({ type: "file-accepted", transfer });
    else if (status === "complete") this.emit({ type: "file-complete", transfer });
    else this.emit({ type: `file-${status}`, transfer, reason: reason ?? "" });
    return true;
  }

  /** Sends a FileReply about `row` to its peer over the ratchet; a failure is only logged. */
  reply(row: TransferRow, result: FileReply.Result, reason: string): void {
    const payload = FileReply.encode({ transferId: row.transferId, result, reason });
    this.content.sendContent(row.peer, CONTENT_KINDS.file.reply, payload, `file reply ${result}`)
      .catch(
        (err: unknown) =>
          this.log.warn(`replying to ${row.peer} failed: ${(err as Error).message}`),
      );
  }

  /**
   * Decodes a FileReply.
   * @throws RangeError when `payload` is not one.
   */
  decodeReply(payload: Uint8Array): FileReply {
    try {
      return FileReply.decode(payload);
    } catch {
      throw new RangeError("malformed file reply");
    }
  }

  /** Runs `work` with `stream` as the data stream of `row`, which resetStream resets. */
  async withStream<T>(row: TransferRow, stream: Stream, work: () => Promise<T>): Promise<T> {
    const id = toHex(row.transferId);
    this.#running.set(id, stream);
    try {
      return await work();
    } finally {
      if (this.#running.get(id) === stream) this.#running.delete(id);
    }
  }

  /** Resets the data stream of `row`, if one runs. */
  resetStream(row: TransferRow, reason: string): void {
    this.#running.get(toHex(row.transferId))?.abort(new Error(reason));
  }

  /** Whether `row` is still offered or accepted (not settled, e.g. cancelled, meanwhile). */
  isOpen(row: TransferRow): boolean {
    const status = this.store.get(row.transferId)?.status;
    return (OPEN_STATUSES as readonly (TransferStatus | undefined)[]).includes(status);
  }

  /**
   * The chunks of `row` from `fromChunk` on, over `file`, with its file key opened.
   * @throws DecryptionError when its sealed file key was altered.
   */
  async chunkPlan(row: TransferRow, file: Deno.FsFile, fromChunk: number): Promise<ChunkPlan> {
    const fileKey = await openFileKey(this.#storageKey, row.transferId, row.sealedKey);
    const { transferId, size, chunkSize } = row;
    return { transferId, fileKey, file, size, chunkSize, fromChunk };
  }
}
