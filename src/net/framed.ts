/**
 * Framed, bounded protobuf I/O over a libp2p stream: every frame is varint-length-prefixed and
 * capped in size, every read has a deadline, and a stream carries a bounded number of frames.
 * Anything outside those bounds is a ProtocolError; the caller answers with a status or a reset.
 */
import type { Stream } from "@libp2p/interface";
import { type LengthPrefixedStream, lpStream } from "@libp2p/utils";
import type { DecodeOptions } from "protons-runtime";
import type { Uint8ArrayList } from "uint8arraylist";
import { deadline } from "./deadline.ts";
import { ProtocolError } from "../errors.ts";

/**
 * Bytes that may wait in the read buffer beyond one frame: frames a peer sends back to back (a
 * presence snapshot, pipelined requests) can arrive in one chunk before the first is read. Past
 * this the stream is aborted.
 */
export const READ_AHEAD_BYTES = 1024 * 1024;

/** How long close() waits for the remote when the reads have no deadline (readTimeoutMs ∞). */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * A protons-generated message codec, or one of its own (file data frames) whose encoding may be
 * a list of pieces, written as they are.
 */
export interface MessageCodec<T> {
  encode(message: NoInfer<T>): Uint8Array | Uint8ArrayList;
  decode(bytes: Uint8Array | Uint8ArrayList, options?: DecodeOptions<T>): T;
}

/** The bounds of one framed stream. */
export interface FrameLimits {
  /** Largest accepted frame body, in bytes. */
  readonly maxFrameBytes: number;
  /**
   * How long one read may wait for its frame. Infinity: no deadline of the stream's own, the
   * caller bounds each read with its signal (a read without one is refused) — for a long-lived
   * stream whose liveness one shared timer watches, so that a read arms no timer.
   */
  readonly readTimeoutMs: number;
  /** How many frames may be read from the stream in all. */
  readonly maxFrames: number;
  /**
   * Bytes that may wait in the read buffer beyond one frame (default READ_AHEAD_BYTES). Only a
   * protocol that bounds what its peer may send ahead (as file data does with credit) raises it.
   */
  readonly readAheadBytes?: number;
}

/** Reads messages of type `In` and writes messages of type `Out` on one stream. */
export class FramedStream<In, Out> {
  readonly #lp: LengthPrefixedStream<Stream>;
  #framesRead = 0;

  constructor(
    readonly stream: Stream,
    private readonly incoming: MessageCodec<In>,
    private readonly outgoing: MessageCodec<Out>,
    private readonly limits: FrameLimits,
    private readonly decodeLimits: DecodeOptions<In> = {},
  ) {
    this.#lp = lpStream(stream, {
      maxDataLength: limits.maxFrameBytes,
      maxBufferSize: limits.maxFrameBytes + 16 + (limits.readAheadBytes ?? READ_AHEAD_BYTES),
      lengthDecoder: boundedLength(varintLength(limits.maxFrameBytes)),
    });
  }

  /**
   * Reads the next message.
   * @throws ProtocolError when the frame is oversize, malformed, late, over the frame count, or
   * the stream ended first.
   * @throws RangeError when the reads have no deadline (readTimeoutMs ∞) and `signal` is missing.
   */
  async read(signal?: AbortSignal): Promise<In> {
    if (this.#framesRead >= this.limits.maxFrames) {
      throw new ProtocolError(`more than ${this.limits.maxFrames} frames on one stream`);
    }
    this.#framesRead++;
    const { readTimeoutMs } = this.limits;
    const late = Number.isFinite(readTimeoutMs) ? deadline(readTimeoutMs) : undefined;
    const combined = signal && late
      ? AbortSignal.any([signal, late.signal])
      : signal ?? late?.signal;
    if (combined === undefined) {
      throw new RangeError("an unbounded read: reads without a deadline need a signal");
    }
    try {
      const frame = await this.#lp.read({ signal: combined });
      return this.incoming.decode(frame, this.decodeLimits);
    } catch (err: unknown) {
      if (late?.signal.aborted) {
        throw new ProtocolError(`no frame within ${this.limits.readTimeoutMs} ms`, { cause: err });
      }
      if (signal?.aborted) throw err;
      throw new ProtocolError(`bad frame: ${describe(err)}`, { cause: err });
    } finally {
      late?.clear();
    }
  }

  /**
   * Reads the next message, or returns undefined when the remote closed its side instead of
   * sending one (a frame cut short by the close is dropped like a missing one).
   * @throws ProtocolError as `read` does.
   */
  async readOrEnd(signal?: AbortSignal): Promise<In | undefined> {
    try {
      return await this.read(signal);
    } catch (err: unknown) {
      // The remote's write end closes before our read end does (the stream is half-closed), so
      // the test is on remoteWriteStatus, not readStatus.
      if (this.stream.remoteWriteStatus !== "writable" && isEndOfStream(err)) return undefined;
      throw err;
    }
  }

  /** Writes one message, waiting for the stream to accept it. */
  async write(message: Out, signal?: AbortSignal): Promise<void> {
    await this.#lp.write(this.outgoing.encode(message), signal ? { signal } : {});
  }

  /** Closes the stream gracefully, or aborts it when that fails. */
  async close(): Promise<void> {
    const { readTimeoutMs } = this.limits;
    const late = deadline(Number.isFinite(readTimeoutMs) ? readTimeoutMs : CLOSE_TIMEOUT_MS);
    try {
      await this.stream.close({ signal: late.signal });
    } catch (err: unknown) {
      this.stream.abort(err instanceof Error ? err : new Error(String(err)));
    } finally {
      late.clear();
    }
  }

  /** Resets the stream at once. */
  abort(reason: Error): void {
    this.stream.abort(reason);
  }
}

/**
 * A varint length decoder that refuses a prefix longer than `maxBytes`. lpStream checks the
 * prefix's length only once a varint ends, so without this a peer sending endless continuation
 * bytes (0x80 | …) is read byte by byte until the read deadline.
 */
function boundedLength(maxBytes: number): (data: Uint8ArrayList) => number {
  return (data) => {
    let value = 0;
    for (let i = 0; i < data.byteLength; i++) {
      if (i >= maxBytes) throw new ProtocolError(`a length prefix longer than ${maxBytes} bytes`);
      const byte = data.get(i);
      value += (byte & 0x7f) * 2 ** (7 * i);
      if (byte < 0x80) return value;
    }
    throw new RangeError("incomplete varint"); // lpStream reads one more byte and retries
  };
}

/** Bytes of the varint encoding of `value`. */
function varintLength(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

function isEndOfStream(err: unknown): boolean {
  return err instanceof ProtocolError && err.cause instanceof Error &&
    err.cause.name === "UnexpectedEOFError";
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
