/**
 * The downloads of accepted incoming transfers: fetching the missing chunks over
 * /tincan/file/1.0.0, resuming from the verified prefix of the partial file after a disconnect or
 * a restart (retried with growing, jittered pauses, and at once when the sender comes back online), and
 * keeping the file only when its SHA-256 matches the offer.
 */
import { PROTOCOL } from "../../protocol/ids.ts";
import { createHash, type Hash } from "node:crypto";
import { bytesEqual } from "../../crypto/bytes.ts";
import { backoffDelay } from "../../net/backoff.ts";
import { FramedStream } from "../../net/framed.ts";
import { FileReply, FileRequest } from "../../proto/file.ts";
import type { TransferRow } from "../store/file_transfers.ts";
import { DIAL_TIMEOUT_MS } from "../../net/dial.ts";
import { fromHex, toHex } from "../../crypto/bytes.ts";
import { chunkCount } from "../../crypto/file_chunks.ts";
import { DataFrameCodec } from "./chunk_frame.ts";
import { lazyWindowUpdates } from "../../net/lazy_window_updates.ts";
import {
  DATA_STREAM_WINDOW_BYTES,
  dataFrames,
  RETRY_MAX_MS,
  RETRY_MIN_MS,
  SAVE_PROGRESS_BYTES,
} from "./constants.ts";
import type { TransferContext } from "./transfer_context.ts";
import { readExactly, receiveChunks, TransferRefusedError } from "./data_transfer.ts";
import { keepFile } from "./keep_file.ts";
import { safeBaseName } from "./safe_name.ts";

/** The running and retried downloads of one peer. */
export class Downloads {
  /** Downloads running now, by transfer id (hex). */
  readonly #running = new Map<string, Promise<void>>();
  readonly #retries = new Map<string, { timer: ReturnType<typeof setTimeout>; attempt: number }>();
  readonly #abort = new AbortController();

  constructor(private readonly ctx: TransferContext) {}

  /** Starts (or resumes) the download of an accepted incoming transfer unless it is running. */
  start(row: TransferRow): void {
    const id = toHex(row.transferId);
    if (this.#running.has(id) || this.#abort.signal.aborted) return;
    const retry = this.#retries.get(id);
    if (retry) clearTimeout(retry.timer);
    const run = this.#fetch(row.transferId).then(
      (done) => {
        this.#running.delete(id);
        if (done) this.#retries.delete(id);
        else this.#scheduleRetry(id);
      },
      (err: unknown) => {
        this.#running.delete(id);
        this.ctx.log.error(`download ${id} failed: ${(err as Error).stack ?? err}`);
      },
    );
    this.#running.set(id, run);
  }

  /** Resumes every accepted incoming transfer (those `username` sends, when given) now. */
  resume(username?: string): void {
    for (const row of this.ctx.store.list("accepted")) {
      if (!row.outgoing && (username === undefined || row.peer === username)) {
        if (username !== undefined) this.#retries.delete(toHex(row.transferId));
        this.start(row);
      }
    }
  }

  /** Stops downloads and retries (their progress is kept for the next run). */
  async stop(): Promise<void> {
    this.#abort.abort(new Error("file transfers stopped"));
    for (const { timer } of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
    await Promise.allSettled([...this.#running.values()]);
  }

  #scheduleRetry(id: string): void {
    if (this.#abort.signal.aborted) return;
    const attempt = (this.#retries.get(id)?.attempt ?? -1) + 1;
    const delay = backoffDelay(attempt, { minMs: RETRY_MIN_MS, maxMs: RETRY_MAX_MS });
    const timer = setTimeout(() => {
      const row = this.ctx.store.get(fromHex(id));
      if (row?.status === "accepted") this.start(row);
    }, delay);
    this.#retries.set(id, { timer, attempt });
  }

  /**
   * One attempt at the rest of a download. Returns true when the transfer is settled (complete
   * or failed for good), false when it should be retried.
   */
  async #fetch(transferId: Uint8Array): Promise<boolean> {
    const { ctx } = this;
    const row = ctx.store.get(transferId);
    if (row === undefined || row.status !== "accepted") return true;
    const info = ctx.info(row);
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(row.partPath, { read: true, write: true, create: true, mode: 0o600 });
      const { verified, hash } = await verifiedPrefix(row, file);
      const total = chunkCount(row.size, row.chunkSize);
      if (verified < total) {
        const plan = await ctx.chunkPlan(row, file, verified);
        const remote = await ctx.users.resolvePeer(row.peer);
        if (ctx.users.usernameOf(remote) !== row.peer) {
          throw new Error(`${row.peer}'s key is not the trusted one`);
        }
        const signal = this.#abort.signal;
        const stream = await ctx.streams.openStream(
          remote,
          PROTOCOL.file,
          AbortSignal.any([AbortSignal.timeout(DIAL_TIMEOUT_MS), signal]),
        );
        lazyWindowUpdates(stream, DATA_STREAM_WINDOW_BYTES);
        const abort = () => stream.abort(new Error("file transfers stopped"));
        signal.addEventListener("abort", abort, { once: true });
        const framed = new FramedStream(
          stream,
          DataFrameCodec,
          FileRequest,
          dataFrames(row.chunkSize, total - verified),
        );
        const fromByte = Math.min(row.size, verified * row.chunkSize);
        ctx.emit({ type: "file-started", transfer: info, fromByte });
        // The verified count is saved every SAVE_PROGRESS_BYTES and when the stream ends (done or
        // not), not per batch: a synchronous SQLite commit per MiB was a tenth of the recipient's
        // thread. A crash loses at most that much progress; verifiedPrefix truncates to it.
        let saved = verified;
        let latest = verified;
        const save = () => {
          if (latest <= saved) return;
          ctx.store.setVerified(row.transferId, latest, ctx.now());
          saved = latest;
        };
        try {
          await ctx.withStream(row, stream, () =>
            receiveChunks(framed, {
              ...plan,
              hash,
              onChunk: (chunks) => {
                latest = chunks;
                if ((latest - saved) * row.chunkSize >= SAVE_PROGRESS_BYTES) save();
                this.#retries.delete(toHex(row.transferId));
                const doneBytes = Math.min(row.size, chunks * row.chunkSize);
                // Chunks already read when the transfer was cancelled show no progress after it.
                if (ctx.isOpen(row)) ctx.emit({ type: "file-progress", transfer: info, doneBytes });
              },
            }));
        } finally {
          save();
          signal.removeEventListener("abort", abort);
        }
      }
      file.close();
      file = undefined;
      await this.#finish(row, hash.digest());
      return true;
    } catch (err: unknown) {
      file?.close();
      if (!ctx.isOpen(row)) return true; // cancelled: the stream was reset on purpose
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof TransferRefusedError) {
        await this.#fail(row, `${row.peer} refused the download: ${reason}`);
        return true;
      }
      ctx.emit({ type: "file-interrupted", transfer: info, reason });
      ctx.log.debug(`download ${toHex(row.transferId)} interrupted: ${reason}`);
      return false;
    }
  }

  /** All chunks are in: keep the file if its SHA-256 matches the offer, else delete it. */
  async #finish(row: TransferRow, digest: Uint8Array): Promise<void> {
    const { ctx } = this;
    if (!bytesEqual(new Uint8Array(digest), row.sha256)) {
      return await this.#fail(
        row,
        `the data does not match the offered SHA-256: the partial file was deleted`,
      );
    }
    const final = await keepFile(row.partPath, row.path, safeBaseName(row.name));
    if (
      !ctx.store.transition(row.transferId, ["accepted"], "complete", ctx.now(), { path: final })
    ) {
      await Deno.remove(final).catch(() => {}); // cancelled while the file was being kept
      return;
    }
    ctx.reply(row, FileReply.Result.COMPLETED, "");
    ctx.emit({ type: "file-complete", transfer: { ...ctx.info(row), path: final } });
  }

  async #fail(row: TransferRow, reason: string): Promise<void> {
    await Deno.remove(row.partPath).catch(() => {});
    this.ctx.settle(row, ["accepted"], "failed", { reason, reply: FileReply.Result.FAILED });
  }
}

/**
 * The verified part of the partial file: the chunks counted in the database that are really on
 * disk (a crash may lose unsynced writes), truncated to that and hashed.
 */
async function verifiedPrefix(
  row: TransferRow,
  file: Deno.FsFile,
): Promise<{ verified: number; hash: Hash }> {
  const onDisk = (await file.stat()).size;
  let verified = row.verifiedChunks;
  if (Math.min(row.size, verified * row.chunkSize) > onDisk) {
    verified = Math.floor(onDisk / row.chunkSize);
  }
  const bytes = Math.min(row.size, verified * row.chunkSize);
  await file.truncate(bytes);
  await file.seek(0, Deno.SeekMode.Start);
  const hash = createHash("sha256");
  const buffer = new Uint8Array(Math.min(4 * 1024 * 1024, bytes));
  for (let done = 0; done < bytes;) {
    const piece = await readExactly(
      file,
      buffer.subarray(0, Math.min(buffer.length, bytes - done)),
    );
    hash.update(piece);
    done += piece.length;
  }
  return { verified, hash };
}
