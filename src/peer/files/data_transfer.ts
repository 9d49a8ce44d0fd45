/**
 * The two ends of a /tincan/file/1.0.0 data stream, over framed I/O (net/framed.ts): the sender
 * streams sealed chunks within the credit the recipient grants; the recipient checks, stores and
 * hashes each chunk in order. Wire layout: src/proto/file.proto; chunk crypto: chunk_crypto.ts.
 */
import type { Hash } from "node:crypto";
import { checkLength, DecryptionError, randomBytes } from "../../crypto/primitives.ts";
import { ProtocolError } from "../../errors.ts";
import { type FramedStream, READ_AHEAD_BYTES } from "../../net/framed.ts";
import { FileData, type FileRequest } from "../../proto/file.ts";
import { chunkCount, chunkLength, openChunk, sealChunk, streamKey } from "./chunk_crypto.ts";
import { SALT_BYTES } from "./constants.ts";

/** Chunks the sender reads and seals ahead of the one it is writing. */
const PREFETCH_CHUNKS = 3;
const EMPTY = new Uint8Array(0);

/** The sender answered the request with an error status: the transfer cannot go on. */
export class TransferRefusedError extends Error {
  override name = "TransferRefusedError";
}

/**
 * Chunks the recipient lets the sender have in flight: as many as fit in the recipient's framed
 * read buffer (one frame plus READ_AHEAD_BYTES), so a fast sender never overflows it.
 */
export function creditWindow(chunkBytes: number): number {
  return 1 + Math.floor(READ_AHEAD_BYTES / (chunkBytes + 256 + 16));
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
  framed: FramedStream<FileRequest, FileData>,
  plan: SendPlan,
): Promise<void> {
  const salt = randomBytes(SALT_BYTES);
  const key = streamKey(plan.fileKey, salt);
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
  let reads: Promise<unknown> = Promise.resolve();
  const produce = (index: number): Promise<Uint8Array> => {
    const read = reads.then(() =>
      readExactly(plan.file, chunkLength(plan.size, plan.chunkSize, index))
    );
    reads = read.catch(() => {});
    return read.then((plaintext) => sealChunk(key, plan.transferId, index, plaintext));
  };
  const ahead: Promise<Uint8Array>[] = [];
  let next = plan.fromChunk;
  for (let index = plan.fromChunk; index < total; index++) {
    while (ahead.length < PREFETCH_CHUNKS && next < total) {
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
    await framed.write({
      status: FileData.Status.OK,
      reason: "",
      salt: EMPTY,
      index: BigInt(index),
      chunk,
    });
    plan.onChunk(Math.min(plan.size, (index + 1) * plan.chunkSize));
  }
  await framed.close();
}

/** Sender: refuses the request with `status` and `reason`, and closes. */
export async function refuse(
  framed: FramedStream<FileRequest, FileData>,
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
  /** Called after each chunk is verified and written, with the count of verified chunks. */
  readonly onChunk: (verifiedChunks: number) => void;
}

/**
 * Recipient: asks for the chunks from `fromChunk`, then checks (AEAD, index, length), writes and
 * hashes each in order, granting credit for another as each is stored.
 * @throws TransferRefusedError when the sender answers with an error status; ProtocolError for a
 * chunk that fails its check or comes out of order; whatever the stream or the file throws.
 */
export async function receiveChunks(
  framed: FramedStream<FileData, FileRequest>,
  plan: ReceivePlan,
): Promise<void> {
  const total = chunkCount(plan.size, plan.chunkSize);
  await framed.write({
    transferId: plan.transferId,
    fromChunk: BigInt(plan.fromChunk),
    credit: creditWindow(plan.chunkSize),
  });
  const head = await framed.read();
  if (head.status !== FileData.Status.OK) {
    throw new TransferRefusedError(head.reason || `the sender answered ${head.status}`);
  }
  try {
    checkLength("a file stream salt", head.salt, SALT_BYTES);
  } catch (err: unknown) {
    throw new ProtocolError((err as Error).message);
  }
  const key = streamKey(plan.fileKey, head.salt);
  const readNext = (index: number) => {
    if (index >= total) return undefined;
    const read = framed.read();
    read.catch(() => {}); // awaited in turn; this only keeps an early failure handled
    return read;
  };
  let pending = readNext(plan.fromChunk);
  for (let index = plan.fromChunk; index < total; index++) {
    const frame = await pending!;
    pending = readNext(index + 1);
    if (frame.index !== BigInt(index)) {
      throw new ProtocolError(`expected chunk ${index}, got chunk ${frame.index}`);
    }
    let plaintext: Uint8Array;
    try {
      plaintext = await openChunk(key, plan.transferId, index, frame.chunk);
    } catch (err: unknown) {
      if (err instanceof DecryptionError || err instanceof RangeError) {
        throw new ProtocolError(`chunk ${index} failed its integrity check`, { cause: err });
      }
      throw err;
    }
    if (plaintext.length !== chunkLength(plan.size, plan.chunkSize, index)) {
      throw new ProtocolError(`chunk ${index} has ${plaintext.length} bytes`);
    }
    await writeAll(plan.file, plaintext);
    plan.hash.update(plaintext);
    plan.onChunk(index + 1);
    if (index + 1 < total) await framed.write({ transferId: EMPTY, fromChunk: 0n, credit: 1 });
  }
  await framed.close();
}

function header(status: FileData.Status, reason: string, salt: Uint8Array): FileData {
  return { status, reason, salt, index: 0n, chunk: EMPTY };
}

/**
 * Reads exactly `length` bytes from the current position of `file`.
 * @throws RangeError when the file ends first (it shrank since it was offered).
 */
export async function readExactly(file: Deno.FsFile, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) throw new RangeError(`the file ended ${length - filled} bytes early`);
    filled += n;
  }
  return buffer;
}

/** Writes all of `bytes` at the current position of `file`. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
