/**
 * The frames of a /tincan/file/1.0.0 data stream, sender → recipient: one FileData header
 * (protobuf), then bare chunk frames (frame version 1, src/proto/file.proto):
 *
 *   version (1 byte, = CHUNK_FRAME_VERSION) ‖ chunk index (uint64 big-endian) ‖ ciphertext ‖ tag
 *
 * A chunk frame is written and read as a list of pieces, never joined into one array: the sender
 * frames the sealed pieces as the cipher returned them, the recipient opens the ciphertext in the
 * pieces the stream delivered. A FileData starts with a
 * field tag (≥ 0x08), so a first byte below 0x08 marks a chunk frame. Pure: bytes in, bytes out.
 */
import { Uint8ArrayList } from "uint8arraylist";
import { TAG_BYTES } from "../../crypto/primitives.ts";
import { ProtocolError } from "../../errors.ts";
import type { MessageCodec } from "../../net/framed.ts";
import { FileData } from "../../proto/file.ts";

/** The chunk frame layout this version writes and reads. */
export const CHUNK_FRAME_VERSION = 1;
/** Bytes before the sealed chunk: the version byte and the index. */
export const CHUNK_FRAME_HEADER_BYTES = 9;
/** The smallest first byte of an encoded FileData (field 1, the lowest, as a varint tag). */
const FIRST_FIELD_TAG = 0x08;

/**
 * One chunk frame, whole (`bytes`), as written or as read (not yet checked): a list of pieces
 * (the header and the sealed pieces when written, the stream's own buffers when read), never
 * joined into one array.
 */
export interface ChunkFrame {
  readonly bytes: Uint8ArrayList;
}

/** The sealed part of a chunk frame: the ciphertext in the pieces it came in, and the tag. */
export interface SealedChunk {
  readonly ciphertext: Uint8Array[];
  readonly tag: Uint8Array;
}

/** What travels sender → recipient on a data stream: the header, then chunk frames. */
export type DataFrame = FileData | ChunkFrame;

/** What a chunk frame version number means, for messages that refuse another one. */
export function describeFrameVersion(version: number): string {
  if (version === CHUNK_FRAME_VERSION) return `chunk frame version ${version} (bare frames)`;
  if (version === 0) return "chunk frame version 0 (protobuf FileData frames, before bare frames)";
  return `chunk frame version ${version} (unknown to this version)`;
}

/** Whether `frame` is a chunk frame rather than the FileData header. */
export function isChunkFrame(frame: DataFrame): frame is ChunkFrame {
  return "bytes" in frame;
}

/**
 * The chunk frame for chunk `index` sealed as `sealed` (ciphertext ‖ tag, in any pieces): the
 * pieces are framed as they are, not copied.
 * @throws RangeError for an index that is not a whole number ≥ 0.
 */
export function encodeChunkFrame(index: number, sealed: readonly Uint8Array[]): ChunkFrame {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`a chunk index must be a whole number ≥ 0, not ${index}`);
  }
  const header = new Uint8Array(CHUNK_FRAME_HEADER_BYTES);
  header[0] = CHUNK_FRAME_VERSION;
  new DataView(header.buffer).setBigUint64(1, BigInt(index));
  return { bytes: new Uint8ArrayList(header, ...sealed) };
}

/**
 * The sealed part of chunk frame `frame`, checked to be in this version's layout, to name chunk
 * `index` and to hold at most `maxSealedBytes` (and at least a tag). The ciphertext pieces are
 * views of the frame's, not copies.
 * @throws ProtocolError when the frame is short, in another version, for another chunk, or too big.
 */
export function decodeChunkFrame(
  frame: ChunkFrame,
  index: number,
  maxSealedBytes: number,
): SealedChunk {
  const { bytes } = frame;
  if (bytes.byteLength < CHUNK_FRAME_HEADER_BYTES) {
    throw new ProtocolError(
      `a chunk frame of ${bytes.byteLength} bytes is shorter than its header`,
    );
  }
  const header = bytes.subarray(0, CHUNK_FRAME_HEADER_BYTES);
  if (header[0] !== CHUNK_FRAME_VERSION) {
    throw new ProtocolError(
      `chunk frame version ${header[0]}; this version reads only ${CHUNK_FRAME_VERSION}`,
    );
  }
  const got = new DataView(header.buffer, header.byteOffset, header.byteLength).getBigUint64(1);
  if (got !== BigInt(index)) throw new ProtocolError(`expected chunk ${index}, got chunk ${got}`);
  const sealedBytes = bytes.byteLength - CHUNK_FRAME_HEADER_BYTES;
  if (sealedBytes < TAG_BYTES || sealedBytes > maxSealedBytes) {
    throw new ProtocolError(
      `chunk ${index} has ${sealedBytes} sealed bytes, not ${TAG_BYTES}…${maxSealedBytes}`,
    );
  }
  const tagAt = bytes.byteLength - TAG_BYTES;
  return {
    ciphertext: [...bytes.sublist(CHUNK_FRAME_HEADER_BYTES, tagAt)],
    tag: bytes.subarray(tagAt),
  };
}

/**
 * The codec of a data stream's frames, sender → recipient, for FramedStream: a chunk frame is
 * written and read as its list of pieces; the header is a FileData.
 */
export const DataFrameCodec: MessageCodec<DataFrame> = {
  encode: (frame) => isChunkFrame(frame) ? frame.bytes : FileData.encode(frame),
  decode: (data: Uint8Array | Uint8ArrayList) => {
    const empty = data.byteLength === 0;
    const first = empty ? FIRST_FIELD_TAG : data instanceof Uint8Array ? data[0]! : data.get(0);
    if (first < FIRST_FIELD_TAG) {
      return { bytes: data instanceof Uint8Array ? new Uint8ArrayList(data) : data };
    }
    return FileData.decode(data);
  },
};
