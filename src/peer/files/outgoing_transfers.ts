/**
 * The sending side of file transfers: offering a file over the ratchet, following the
 * recipient's replies, and serving the data stream that the recipient opens — only to the
 * Noise-authenticated peer whose trusted key is the offer's counterpart.
 */
import { CONTENT_KINDS } from "../../protocol/ids.ts";
import type { PeerId, Stream } from "@libp2p/interface";
import { basename, resolve } from "node:path";
import { randomBytes } from "../../crypto/primitives.ts";
import { FramedStream } from "../../net/framed.ts";
import { FileData, FileOffer, FileReply, FileRequest } from "../../proto/file.ts";
import { normalizeName } from "../names.ts";
import { fromHex } from "../../crypto/bytes.ts";
import { chunkCount } from "../../crypto/file_chunks.ts";
import { CREDIT_FRAMES, DEFAULT_CHUNK_BYTES } from "./constants.ts";
import {
  CHUNK_FORMAT,
  describeChunkFormat,
  FILE_KEY_BYTES,
  TRANSFER_ID_BYTES,
} from "../../crypto/file_chunks.ts";
import { OPEN_STATUSES, type TransferContext } from "./transfer_context.ts";
import { CHUNK_FRAME_VERSION, DataFrameCodec, describeFrameVersion } from "./chunk_frame.ts";
import { refuse, sendChunks } from "./data_transfer.ts";
import { FileTransferError } from "./errors.ts";
import type { TransferInfo } from "./events.ts";
import { hashFile } from "./hash_file.ts";
import { formatBytes } from "../../units.ts";

/** Our offers and the data streams we serve for them. */
export class OutgoingTransfers {
  constructor(
    private readonly ctx: TransferContext,
    /** Plaintext bytes per chunk of our offers. */
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {}

  /**
   * Offers the file at `path` to `to`: hashes it, sends the offer (name, size, SHA-256, a fresh
   * file key) over the ratchet. The data flows once `to` accepts.
   * @throws FileTransferError when `path` is not a readable regular file, or `to` is you.
   */
  async offer(to: string, path: string): Promise<TransferInfo> {
    const { ctx } = this;
    const peer = normalizeName(to);
    if (peer === ctx.me) {
      throw new FileTransferError("you cannot send a file to yourself");
    }
    const source = resolve(path);
    const { size, sha256 } = await hashFile(source);
    const transferId = randomBytes(TRANSFER_ID_BYTES);
    const fileKey = randomBytes(FILE_KEY_BYTES);
    const chunkSize = this.chunkBytes;
    const name = basename(source);
    await ctx.record({
      transferId,
      peer,
      outgoing: true,
      name,
      size,
      sha256,
      fileKey,
      chunkSize,
      path: source,
    });
    const payload = FileOffer.encode({
      transferId,
      name,
      size: BigInt(size),
      sha256,
      fileKey,
      chunkSize,
      chunkFormat: CHUNK_FORMAT,
    });
    const messageId = await ctx.content.sendContent(
      peer,
      CONTENT_KINDS.file.offer,
      payload,
      `file ${name} (${formatBytes(size)})`,
    );
    ctx.store.setOfferMessage(transferId, fromHex(messageId), ctx.now());
    const info = ctx.info(ctx.store.get(transferId)!);
    ctx.emit({ type: "file-offered", transfer: info });
    return info;
  }

  /**
   * The recipient's reply to one of our offers (CANCELLED goes to Cancellation instead).
   * Idempotent; a reply about a transfer that is not ours (to `from`) changes nothing.
   */
  onReply(from: string, reply: FileReply): void {
    const row = this.ctx.store.get(reply.transferId);
    if (row === undefined || !row.outgoing || row.peer !== from) return; // nothing of ours
    const reason = reply.reason.slice(0, 500);
    switch (reply.result) {
      case FileReply.Result.ACCEPTED:
        this.ctx.settle(row, ["offered"], "accepted");
        return;
      case FileReply.Result.REJECTED:
        this.ctx.settle(row, OPEN_STATUSES, "rejected", { reason });
        return;
      case FileReply.Result.COMPLETED:
        this.ctx.settle(row, OPEN_STATUSES, "complete");
        return;
      case FileReply.Result.FAILED:
        this.ctx.settle(row, OPEN_STATUSES, "failed", { reason });
        return;
      case FileReply.Result.CANCELLED:
        return; // cancellation.ts
    }
  }

  /** Our offer sent as `messageId` could not be delivered, or the recipient refused it. */
  onOfferFailed(messageId: string, reason: string): void {
    const row = this.ctx.store.byOfferMessage(fromHex(messageId));
    if (row !== undefined) this.ctx.settle(row, ["offered"], "rejected", { reason });
  }

  /**
   * Serves a data stream opened by `remote`: refuses it unless it asks for a transfer we offered
   * to that very user and can still read, else streams the chunks asked for.
   * @throws whatever the stream or the file throws while sending (the caller resets the stream).
   */
  async serve(stream: Stream, remote: PeerId): Promise<void> {
    const { ctx } = this;
    const from = ctx.users.usernameOf(remote);
    const framed = new FramedStream(stream, FileRequest, DataFrameCodec, CREDIT_FRAMES);
    const request = await framed.read();
    const row = request.transferId.length === TRANSFER_ID_BYTES
      ? ctx.store.get(request.transferId)
      : undefined;
    if (row === undefined || !row.outgoing || from === undefined || row.peer !== from) {
      return await refuse(framed, FileData.Status.E_UNKNOWN, "no such transfer offered to you");
    }
    if (!ctx.isOpen(row)) {
      const why = row.reason || row.status;
      return await refuse(framed, FileData.Status.E_UNAVAILABLE, `${row.name} is over: ${why}`);
    }
    const [asked, sent] = request.chunkFormat !== CHUNK_FORMAT
      ? [describeChunkFormat(request.chunkFormat), describeChunkFormat(CHUNK_FORMAT)]
      : [describeFrameVersion(request.frameVersion), describeFrameVersion(CHUNK_FRAME_VERSION)];
    if (request.chunkFormat !== CHUNK_FORMAT || request.frameVersion !== CHUNK_FRAME_VERSION) {
      return await refuse(
        framed,
        FileData.Status.E_BAD_REQUEST,
        `${from} asked for ${asked}; ${ctx.me} sends only ${sent}: update tincan`,
      );
    }
    const total = chunkCount(row.size, row.chunkSize);
    const fromChunk = Number(request.fromChunk);
    if (fromChunk > total) {
      return await refuse(framed, FileData.Status.E_BAD_REQUEST, `the file has ${total} chunks`);
    }
    let file: Deno.FsFile;
    try {
      file = await Deno.open(row.path, { read: true });
      if ((await file.stat()).size !== row.size) {
        file.close();
        throw new RangeError("its size changed");
      }
    } catch (err: unknown) {
      return await refuse(
        framed,
        FileData.Status.E_UNAVAILABLE,
        `${ctx.me} can no longer read ${row.name}: ${(err as Error).message}`,
      );
    }
    ctx.settle(row, ["offered"], "accepted");
    const info = ctx.info(row);
    const fromByte = Math.min(row.size, fromChunk * row.chunkSize);
    ctx.emit({ type: "file-started", transfer: info, fromByte });
    try {
      await ctx.withStream(row, stream, async () =>
        sendChunks(framed, {
          ...await ctx.chunkPlan(row, file, fromChunk),
          credit: request.credit,
          onChunk: (doneBytes) => {
            // Chunks written before a cancel show no progress after it.
            if (ctx.isOpen(row)) ctx.emit({ type: "file-progress", transfer: info, doneBytes });
          },
        }));
    } catch (err: unknown) {
      if (!ctx.isOpen(row)) return; // cancelled: the stream was reset on purpose
      ctx.emit({ type: "file-interrupted", transfer: info, reason: (err as Error).message });
      throw err;
    } finally {
      file.close();
    }
  }
}
