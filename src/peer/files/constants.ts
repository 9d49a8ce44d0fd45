/**
 * /tincan/file/1.0.0 and its limits. The offer and replies go over the Double Ratchet
 * (CONTENT_KINDS.file in src/protocol/ids.ts); the data has its own stream. Wire layout: src/proto/file.proto.
 */

/**
 * Plaintext bytes per chunk that we offer: the largest we accept. Deno's WebCrypto seals and opens
 * on the JS thread, about a third faster per byte in 1 MiB calls than in 64 KiB ones, and the
 * recipient's JS thread is what limits a transfer (bench/files.ts). A resumed transfer repeats at
 * most one chunk; the AEAD tag and frame cost 0.003 % of it.
 */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** The smallest chunk size we accept in an offer. */
export const MIN_CHUNK_BYTES = 1024;
/** The largest chunk size we accept in an offer (bounds every data frame). */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** The largest file accepted unless configured otherwise: 2 GiB. */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 ** 3;
/** Bytes of a file name we accept in an offer (UTF-8, before sanitizing). */
export const MAX_NAME_BYTES = 1024;

/**
 * Framing of what the recipient sends on a data stream: the request, then a credit frame per
 * grant of chunks (so no frame count limit), each small.
 */
export const CREDIT_FRAMES = {
  maxFrameBytes: 256,
  readTimeoutMs: 30_000,
  maxFrames: Infinity,
} as const;

/**
 * Bytes of data frames the recipient lets wait in its read buffer beyond one frame: the credit
 * window is as many chunks as fit (data_transfer.ts creditWindow), so a data stream holds at most
 * this plus one frame in its buffer and its chunks being opened and written together — 8 MiB +
 * 1 frame per stream, at most MAX_FILE_STREAMS_PER_CONNECTION streams per connection. With 64 KiB
 * chunks the file bench measured 8 MiB of credit at 2–3 times the throughput of 1 MiB.
 */
export const DATA_READ_AHEAD_BYTES = 8 * 1024 * 1024;

/**
 * The Yamux receive window the recipient grants a data stream (instead of Yamux's 256 KiB, which
 * never grows in tincan: src/net/lazy_window_updates.ts), with window updates at half of it: the
 * credit window already bounds what the sender sends ahead to about as much. At 256 KiB the
 * sender waited for an update every 256 KiB and the recipient sent one per Yamux frame.
 */
export const DATA_STREAM_WINDOW_BYTES = DATA_READ_AHEAD_BYTES;

/**
 * Plaintext the recipient gathers before one file write (and at most one progress update): whole
 * chunks, at least one.
 */
export const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Verified bytes a download gathers before it saves its progress (and when its stream ends, done
 * or not): a crash, not an interrupted stream, may repeat this much.
 */
export const SAVE_PROGRESS_BYTES = 8 * 1024 * 1024;

/** Framing of the data (sender → recipient) for `chunks` chunks of at most `chunkBytes`. */
export function dataFrames(chunkBytes: number, chunks: number) {
  return {
    maxFrameBytes: chunkBytes + 256,
    readTimeoutMs: 30_000,
    maxFrames: chunks + 1,
    readAheadBytes: DATA_READ_AHEAD_BYTES,
  } as const;
}

/** Data streams one connection may open to us at once. */
export const MAX_FILE_STREAMS_PER_CONNECTION = 4;
/** Waits between attempts to resume an interrupted download: doubling from 1 s to 30 s. */
export const RETRY_MIN_MS = 1_000;
export const RETRY_MAX_MS = 30_000;
