/**
 * The receiving side of file transfers: checking and recording an offer that arrives over the
 * ratchet, and the user's answer to it — accept (into a directory, starting the download) or
 * reject — sent back as a FileReply.
 */
import { join, resolve } from "node:path";
import { checkLength, SHA256_BYTES } from "../../crypto/primitives.ts";
import { FileOffer, FileReply } from "../../proto/file.ts";
import type { TransferRow } from "../store/file_transfers.ts";
import { toHex } from "../../crypto/bytes.ts";
import {
  CHUNK_FORMAT,
  describeChunkFormat,
  FILE_KEY_BYTES,
  TRANSFER_ID_BYTES,
} from "../../crypto/file_chunks.ts";
import { MAX_CHUNK_BYTES, MAX_NAME_BYTES, MIN_CHUNK_BYTES } from "./constants.ts";
import { pickTransfer, type TransferContext } from "./transfer_context.ts";
import type { Downloads } from "./downloads.ts";
import { FileTransferError } from "./errors.ts";
import type { TransferInfo } from "./events.ts";
import { safeBaseName } from "./safe_name.ts";
import { formatBytes } from "../../units.ts";

/** The suffix of a partial file while it downloads. */
export const PART_SUFFIX = ".tincan-part";

/** How offers to us are answered. */
export interface IncomingOptions {
  /** Where accepted files go unless `accept` names another directory. */
  readonly downloadDir: string | undefined;
  /** Accept every offer into `downloadDir` at once. */
  readonly autoAccept: boolean;
  /** Larger offers are refused. */
  readonly maxFileBytes: number;
}

/** Offers made to us and our answers. */
export class IncomingTransfers {
  constructor(
    private readonly ctx: TransferContext,
    private readonly downloads: Downloads,
    private readonly options: IncomingOptions,
  ) {}

  /** Incoming offers waiting for /accept or /reject, oldest first. */
  pending(): TransferRow[] {
    return this.ctx.store.list("offered").filter((row) => !row.outgoing);
  }

  /**
   * An offer from `from`. Idempotent: a repeated offer changes nothing.
   * @throws RangeError (which refuses the message) when the offer is malformed, in a chunk format
   * other than CHUNK_FORMAT, its chunk size or name out of bounds, the file too big, or its transfer id taken by another transfer.
   */
  async onOffer(from: string, payload: Uint8Array): Promise<void> {
    const { ctx, options } = this;
    const offer = this.#checked(payload);
    const known = ctx.store.get(offer.transferId);
    if (known !== undefined) {
      if (known.peer !== from || known.outgoing) throw new RangeError("transfer id already in use");
      return;
    }
    const row = await ctx.record({
      transferId: offer.transferId,
      peer: from,
      outgoing: false,
      name: offer.name,
      size: Number(offer.size),
      sha256: offer.sha256,
      fileKey: offer.fileKey,
      chunkSize: offer.chunkSize,
      path: "",
    });
    ctx.emit({ type: "file-offered", transfer: ctx.info(row) });
    if (options.autoAccept && options.downloadDir !== undefined) {
      const id = toHex(row.transferId);
      setTimeout(() => {
        this.accept(id).catch((err: unknown) => {
          ctx.log.warn(`accepting ${id} failed: ${(err as Error).message}`);
        });
      }, 0);
    }
  }

  /**
   * Accepts an incoming offer (the only pending one when `id` is undefined) into `dir` (default
   * the download directory) and starts the download.
   * @throws FileTransferError when there is no such pending offer or no directory to save in.
   */
  async accept(id?: string, dir?: string): Promise<TransferInfo> {
    const { ctx } = this;
    const row = this.#pendingOffer(id);
    const target = dir ?? this.options.downloadDir;
    if (target === undefined) throw new FileTransferError("no directory to save the file in");
    await Deno.mkdir(target, { recursive: true });
    const safe = safeBaseName(row.name);
    const partPath = join(target, `.${safe}.${toHex(row.transferId).slice(0, 8)}${PART_SUFFIX}`);
    (await Deno.open(partPath, { write: true, create: true, truncate: true, mode: 0o600 })).close();
    if (
      !ctx.store.transition(row.transferId, ["offered"], "accepted", ctx.now(), {
        path: resolve(target),
        partPath,
      })
    ) {
      await Deno.remove(partPath).catch(() => {});
      throw new FileTransferError(`transfer ${toHex(row.transferId)} is no longer pending`);
    }
    const accepted = ctx.store.get(row.transferId)!;
    ctx.reply(accepted, FileReply.Result.ACCEPTED, "");
    ctx.emit({ type: "file-accepted", transfer: ctx.info(accepted) });
    this.downloads.start(accepted);
    return ctx.info(accepted);
  }

  /**
   * Declines an incoming offer (the only pending one when `id` is undefined).
   * @throws FileTransferError when there is no such pending offer.
   */
  reject(id?: string, reason = "declined"): TransferInfo {
    const row = this.#pendingOffer(id);
    const reply = FileReply.Result.REJECTED;
    if (!this.ctx.settle(row, ["offered"], "rejected", { reason, reply })) {
      throw new FileTransferError(`transfer ${toHex(row.transferId)} is no longer pending`);
    }
    return this.ctx.info(row);
  }

  /** The decoded offer, within every bound. */
  #checked(payload: Uint8Array): FileOffer {
    let offer: FileOffer;
    try {
      offer = FileOffer.decode(payload);
      checkLength("a transfer id", offer.transferId, TRANSFER_ID_BYTES);
      checkLength("a file key", offer.fileKey, FILE_KEY_BYTES);
      checkLength("a SHA-256", offer.sha256, SHA256_BYTES);
    } catch (err: unknown) {
      throw new RangeError(`malformed file offer: ${(err as Error).message}`);
    }
    if (offer.chunkFormat !== CHUNK_FORMAT) {
      throw new RangeError(
        `the offer uses ${describeChunkFormat(offer.chunkFormat)}; ${this.ctx.me} reads only ` +
          `${describeChunkFormat(CHUNK_FORMAT)}: update tincan`,
      );
    }
    const size = Number(offer.size);
    if (offer.chunkSize < MIN_CHUNK_BYTES || offer.chunkSize > MAX_CHUNK_BYTES) {
      throw new RangeError(
        `chunk size ${offer.chunkSize} is outside ${MIN_CHUNK_BYTES}..${MAX_CHUNK_BYTES}`,
      );
    }
    if (new TextEncoder().encode(offer.name).length > MAX_NAME_BYTES) {
      throw new RangeError(`the file name is longer than ${MAX_NAME_BYTES} bytes`);
    }
    const max = this.options.maxFileBytes;
    if (!Number.isSafeInteger(size) || size > max) {
      throw new RangeError(
        `${safeBaseName(offer.name)} is ${formatBytes(size)}; ${this.ctx.me} accepts ` +
          `files up to ${formatBytes(max)}`,
      );
    }
    return offer;
  }

  /** The pending offer `id` names (a unique hex prefix), or the only one when undefined. */
  #pendingOffer(id: string | undefined): TransferRow {
    return pickTransfer(this.pending(), id, "file offer", "pending");
  }
}
