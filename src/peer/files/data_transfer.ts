/**
 * The two ends of a /tincan/file/1.0.0 data stream, over framed I/O (net/framed.ts): the sender
 * streams sealed chunks within the credit the recipient grants; the recipient checks, stores and
 * hashes each chunk in order. Wire layout: src/proto/file.proto and chunk_frame.ts; chunk crypto:
 * src/crypto/file_chunks.ts.
 */
import type { Hash } from "node:crypto";
import { checkLength, DecryptionError, randomBytes, TAG_BYTES } from "../../crypto/primitives.ts";
import { ProtocolError } from "../../errors.ts";
import type { FramedStream } from "../../net/framed.ts";
import { FileData, type FileRequest } from "../../proto/file.ts";
import {
  CHUNK_FORMAT,
  ChunkCipher,
  chunkCount,
  chunkLength,
  describeChunkFormat,
  SALT_BYTES,
} from "../../crypto/file_chunks.ts";
import {
  CHUNK_FRAME_VERSION,
  type ChunkFrame,
  type DataFrame,
  decodeChunkFrame,
  describeFrameVersion,
  encodeChunkFrame,
  isChunkFrame,
} from "./chunk_frame.ts";
import { DATA_READ_AHEAD_BYTES, WRITE_BATCH_BYTES } from "./constants.ts";

/**
 * Chunks the sender reads and seals ahead of the one it is writing, and the recipient reads and
 * opens ahead of the one it is storing, so file and stream I/O overlap with the AEAD calls
 * (which run on the JS thread). With 1 MiB chunks, deeper measured no faster.
 */
const PIPELINE_CHUNKS = 2;
const EMPTY = new Uint8Array(0);

/** The sender answered the request with an error status: the transfer cannot go on. */
export class TransferRefusedError extends Error {
  override name = "TransferRefusedError";
}

/**
 * Chunks the recipient lets the sender have in flight: as many as fit in the recipient's framed
 * read buffer (one frame plus DATA_READ_AHEAD_BYTES, see dataFrames), so a fast sender never
 * overflows it. Credit comes back once batches of chunks are opened and copied into the
 * recipient's two batch buffers, in grants of half the window (creditGrant): what waits for the
 * disk is bounded by those buffers, not by the window, so a file write overlaps the next chunks'
 * transit instead of holding them back.
 */
export function creditWindow(chunkBytes: number): number {
  return 1 + Math.floor(DATA_READ_AHEAD_BYTES / (chunkBytes + 256 + 16));
}

/** Chunks the recipient writes at once: at least one. */
export function writeBatch(chunkBytes: number): number {
  return Math.max(1, Math.floor(WRITE_BATCH_BYTES / chunkBytes));
}

/**
 * Chunks of credit the recipient owes before it grants them in one frame: half its window (at
 * least one), as Yamux's window updates (lazy_window_updates.ts), so the sender still has half a
 * window to send when a grant leaves. One grant per 1 MiB batch cost the recipient a Noise seal
 * and a socket write per MiB (about 5 % of its CPU in the profile); now one per 4 MiB.
 */
export function creditGrant(chunkBytes: number): number {
  return Math.max(1, Math.floor(creditWindow(chunkBytes) / 2));
}

/** The chunks of a transfer that one data stream carries, either way. */
export interface ChunkPlan {
  readonly transferId: Uint8Array;
  readonly fileKey: Uint8Array;
  /** Sender: the file offered. Recipient: the partial file, at the end of the verified chunks. */
  readonly file: Deno.FsFile;
  readonly size: number;
  readonly chunkSize: number;
  readonly fromChunk: number;
}

/** What the sender streams. */
export interface SendPlan extends ChunkPlan {
  /** Credit granted with the request. */
  readonly credit: number;
  /** Called after each chunk is written, with the bytes sent up to its end. */
  readonly onChunk: (doneBytes: number) => void;
}

/**
 * Sender: writes the OK header with a fresh salt, then chunks fromChunk … last as credit allows,
 * and closes.
 * @throws ProtocolError when the recipient stops granting credit (or breaks framing); whatever
 * the stream or the file throws.
 */
export async function sendChunks(
  framed: FramedStream<FileRequest, DataFrame>,
  plan: SendPlan,
): Promise<void> {
  const salt = randomBytes(SALT_BYTES);
  const cipher = ChunkCipher.create(plan.fileKey, salt, plan.transferId);
  await framed.write(header(FileData.Status.OK, "", salt));
  let credit = plan.credit;
  let ended: Error | undefined;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for (let r = await framed.readOrEnd(); r !== undefined; r = await framed.readOrEnd()) {
        credit += r.credit;
        wake?.();
      }
      ended = new ProtocolError("the recipient closed the stream before the last chunk");
    } catch (err: unknown) {
      ended = err instanceof Error ? err : new Error(String(err));
    }
    wake?.();
  })();

  const total = chunkCount(plan.size, plan.chunkSize);
  await plan.file.seek(plan.fromChunk * plan.chunkSize, Deno.SeekMode.Start);
  // The file is read writeBatch() chunks at a time (fewer, larger reads), in order, into one of
  // PIPELINE_CHUNKS + 1 buffers used in turn: a block is sealed as soon as it is read, and the
  // sealed pieces are the cipher's own, so a buffer is free again before the next read into it.
  const perRead = writeBatch(plan.chunkSize);
  const buffers: Uint8Array[] = [];
  let block: Promise<Uint8Array> = Promise.resolve(EMPTY);
  let blockFirst = plan.fromChunk;
  let reads = 0;
  const produce = (index: number): Promise<ChunkFrame> => {
    if ((index - plan.fromChunk) % perRead === 0) {
      const end = Math.min(plan.size, (index + perRead) * plan.chunkSize);
      const length = end - index * plan.chunkSize;
      const slot = reads++ % (PIPELINE_CHUNKS + 1);
      buffers[slot] ??= new Uint8Array(Math.min(plan.size, perRead * plan.chunkSize));
      const into = buffers[slot]!.subarray(0, length);
      const previous = block.catch(() => {});
      block = previous.then(() => readExactly(plan.file, into));
      blockFirst = index;
    }
    const start = (index - blockFirst) * plan.chunkSize;
    const length = chunkLength(plan.size, plan.chunkSize, index);
    return block.then((bytes) =>
      encodeChunkFrame(index, cipher.sealPieces(index, bytes.subarray(start, start + length)))
    );
  };
  const ahead: Promise<ChunkFrame>[] = [];
  let next = plan.fromChunk;
  for (let index = plan.fromChunk; index < total; index++) {
    while (ahead.length < PIPELINE_CHUNKS && next < total) {
      const sealed = produce(next++);
      sealed.catch(() => {}); // awaited below; this only keeps an early failure handled
      ahead.push(sealed);
    }
    while (credit <= 0) {
      if (ended) throw ended;
      await new Promise<void>((resolve) => wake = resolve);
      wake = undefined;
    }
    const chunk = await ahead.shift()!;
    credit--;
    await framed.write(chunk);
    plan.onChunk(Math.min(plan.size, (index + 1) * plan.chunkSize));
  }
  await framed.close();
}

/** Sender: refuses the request with `status` and `reason`, and closes. */
export async function refuse(
  framed: FramedStream<FileRequest, DataFrame>,
  status: FileData.Status,
  reason: string,
): Promise<void> {
  await framed.write(header(status, reason, EMPTY));
  await framed.close();
}

/** What the recipient fetches. */
export interface ReceivePlan extends ChunkPlan {
  /** The hash of the verified chunks so far; each new chunk is added. */
  readonly hash: Hash;
  /** Called after each batch of chunks is verified and written, with the verified chunk count. */
  readonly onChunk: (verifiedChunks: number) => void;
}

/**
 * Recipient: asks for the chunks from `fromChunk` in CHUNK_FORMAT, then checks (AEAD, index,
 * length), hashes and writes each in order. Frames are read and opened up to PIPELINE_CHUNKS
 * ahead; the plaintext is gathered into batches of writeBatch() chunks (two buffers used in
 * turn), each of which earns the sender that much credit again once gathered (granted once
 * creditGrant() chunks are owed), is hashed, and once written is reported to `onChunk`. A batch's write runs while the next batch is opened (one write
 * in flight, so writes stay in order; the hash object of a failed stream is thrown away with it).
 * On failure the stream is aborted.
 * @throws TransferRefusedError when the sender answers with an error status or another chunk
 * format; ProtocolError for a chunk that fails its check or comes out of order; whatever the
 * stream or the file throws.
 */
export async function receiveChunks(
  framed: FramedStream<DataFrame, FileRequest>,
  plan: ReceivePlan,
): Promise<void> {
  const total = chunkCount(plan.size, plan.chunkSize);
  await framed.write({
    transferId: plan.transferId,
    fromChunk: BigInt(plan.fromChunk),
    credit: creditWindow(plan.chunkSize),
    chunkFormat: CHUNK_FORMAT,
    frameVersion: CHUNK_FRAME_VERSION,
  });
  const head = await framed.read();
  if (isChunkFrame(head)) {
    framed.abort(new ProtocolError("a chunk before the header"));
    throw new ProtocolError("the sender sent a chunk frame before its header");
  }
  if (head.status !== FileData.Status.OK) {
    throw new TransferRefusedError(head.reason || `the sender answered ${head.status}`);
  }
  if (head.chunkFormat !== CHUNK_FORMAT) {
    framed.abort(new ProtocolError("another chunk format"));
    throw new TransferRefusedError(
      `the sender seals ${describeChunkFormat(head.chunkFormat)}; this version reads only ` +
        `${describeChunkFormat(CHUNK_FORMAT)}: update tincan`,
    );
  }
  if (head.frameVersion !== CHUNK_FRAME_VERSION) {
    framed.abort(new ProtocolError("another chunk frame version"));
    throw new TransferRefusedError(
      `the sender frames chunks in ${describeFrameVersion(head.frameVersion)}; this version ` +
        `reads only ${describeFrameVersion(CHUNK_FRAME_VERSION)}: update tincan`,
    );
  }
  try {
    checkLength("a file stream salt", head.salt, SALT_BYTES);
  } catch (err: unknown) {
    throw new ProtocolError((err as Error).message);
  }
  const cipher = ChunkCipher.create(plan.fileKey, head.salt, plan.transferId);
  let reads: Promise<unknown> = Promise.resolve();
  const fetch = (index: number): Promise<Uint8Array[]> => {
    const frame = reads.then(() => framed.read());
    reads = frame.catch(() => {});
    const opened = frame.then((f) => openFrame(cipher, plan, index, f));
    opened.catch(() => {}); // awaited in turn; this only keeps an early failure handled
    return opened;
  };
  const perBatch = writeBatch(plan.chunkSize);
  const grant = creditGrant(plan.chunkSize);
  let owed = 0;
  // A batch's plaintext is gathered into one of two buffers used in turn (one being written, one
  // being filled), so a batch is one hash update and one write, and nothing new is allocated.
  const buffers = [0, 1].map(() => new Uint8Array(Math.min(plan.size, perBatch * plan.chunkSize)));
  let batches = 0;
  let filled = 0;
  let batchChunks = 0;
  const ahead: Promise<Uint8Array[]>[] = [];
  let next = plan.fromChunk;
  let writing: Promise<void> = Promise.resolve();
  const store = async (bytes: Uint8Array, verified: number): Promise<void> => {
    await writeAll(plan.file, bytes);
    plan.onChunk(verified);
  };
  try {
    for (let index = plan.fromChunk; index < total; index++) {
      while (ahead.length < PIPELINE_CHUNKS && next < total) ahead.push(fetch(next++));
      const buffer = buffers[batches % 2]!;
      for (const piece of await ahead.shift()!) {
        buffer.set(piece, filled);
        filled += piece.length;
      }
      if (++batchChunks < perBatch && index + 1 < total) continue;
      owed += batchChunks;
      if (index + 1 < total && owed >= grant) {
        // The batches' frames are consumed: the sender may send as much again while they are
        // hashed and written (the two buffers bound what waits for the disk).
        await framed.write({
          transferId: EMPTY,
          fromChunk: 0n,
          credit: owed,
          chunkFormat: 0,
          frameVersion: 0,
        });
        owed = 0;
      }
      const bytes = buffer.subarray(0, filled);
      plan.hash.update(bytes);
      await writing; // the write of the other buffer
      writing = store(bytes, index + 1);
      writing.catch(() => {}); // awaited before the next batch or after the last
      batches++;
      filled = 0;
      batchChunks = 0;
    }
    await writing;
  } catch (err: unknown) {
    framed.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  await framed.close();
}

/**
 * The plaintext of data frame `frame` (in the pieces it came in), checked to be chunk `index`,
 * authentic and whole.
 */
function openFrame(
  cipher: ChunkCipher,
  plan: ChunkPlan,
  index: number,
  frame: DataFrame,
): Uint8Array[] {
  if (!isChunkFrame(frame)) throw new ProtocolError(`expected chunk ${index}, got a header`);
  const { ciphertext, tag } = decodeChunkFrame(frame, index, plan.chunkSize + TAG_BYTES);
  let plaintext: Uint8Array[];
  try {
    plaintext = cipher.openPieces(index, ciphertext, tag);
  } catch (err: unknown) {
    if (err instanceof DecryptionError || err instanceof RangeError) {
      throw new ProtocolError(`chunk ${index} failed its integrity check`, { cause: err });
    }
    throw err;
  }
  const length = plaintext.reduce((n, piece) => n + piece.length, 0);
  if (length !== chunkLength(plan.size, plan.chunkSize, index)) {
    throw new ProtocolError(`chunk ${index} has ${length} bytes`);
  }
  return plaintext;
}

function header(status: FileData.Status, reason: string, salt: Uint8Array): FileData {
  const ok = status === FileData.Status.OK;
  const chunkFormat = ok ? CHUNK_FORMAT : 0;
  const frameVersion = ok ? CHUNK_FRAME_VERSION : 0;
  return { status, reason, salt, index: 0n, chunk: EMPTY, chunkFormat, frameVersion };
}

/**
 * Fills `into` from the current position of `file`, and returns it.
 * @throws RangeError when the file ends first (it shrank since it was offered).
 */
export async function readExactly(file: Deno.FsFile, into: Uint8Array): Promise<Uint8Array> {
  let filled = 0;
  while (filled < into.length) {
    const n = await file.read(into.subarray(filled));
    if (n === null) throw new RangeError(`the file ended ${into.length - filled} bytes early`);
    filled += n;
  }
  return into;
}

/** Writes all of `bytes` at the current position of `file`. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
