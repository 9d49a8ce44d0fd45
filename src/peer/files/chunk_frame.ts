/**
 * The frames of a /tincan/file/1.0.0 data stream, sender → recipient: one FileData header
 * (protobuf), then bare chunk frames (frame version 1, src/proto/file.proto):
 *
 *   version (1 byte, = CHUNK_FRAME_VERSION) ‖ chunk index (uint64 big-endian) ‖ ciphertext ‖ tag
 *
 * A chunk frame is written and read as it is, with no protobuf copy of its 1 MiB: the sender
 * seals straight into it, the recipient opens the sealed part in place. A FileData starts with a
 * field tag (≥ 0x08), so a first byte below 0x08 marks a chunk frame. Pure: bytes in, bytes out.
 */
import type { Uint8ArrayList } from "uint8arraylist";
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

/** One chunk frame, whole (`bytes`), as written or as read (not yet checked). */
export interface ChunkFrame {
  readonly bytes: Uint8Array;
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
 * A chunk frame for chunk `index` whose sealed part (`sealedBytes` long) `seal` fills in place.
 * @throws RangeError for an index that is not a whole number ≥ 0; whatever `seal` throws.
 */
export function encodeChunkFrame(
  index: number,
  sealedBytes: number,
  seal: (into: Uint8Array) => void,
): ChunkFrame {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`a chunk index must be a whole number ≥ 0, not ${index}`);
  }
  const bytes = new Uint8Array(CHUNK_FRAME_HEADER_BYTES + sealedBytes);
  bytes[0] = CHUNK_FRAME_VERSION;
  new DataView(bytes.buffer).setBigUint64(1, BigInt(index));
  seal(bytes.subarray(CHUNK_FRAME_HEADER_BYTES));
  return { bytes };
}

/**
 * The sealed part of chunk frame `frame`, checked to be in this version's layout, to name chunk
 * `index` and to hold at most `maxSealedBytes` (and at least a tag).
 * @throws ProtocolError when the frame is short, in another version, for another chunk, or too big.
 */
export function decodeChunkFrame(
  frame: ChunkFrame,
  index: number,
  maxSealedBytes: number,
): Uint8Array {
  const { bytes } = frame;
  if (bytes.length < CHUNK_FRAME_HEADER_BYTES) {
    throw new ProtocolError(`a chunk frame of ${bytes.length} bytes is shorter than its header`);
  }
  if (bytes[0] !== CHUNK_FRAME_VERSION) {
    throw new ProtocolError(
      `chunk frame version ${bytes[0]}; this version reads only ${CHUNK_FRAME_VERSION}`,
    );
  }
  const got = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(1);
  if (got !== BigInt(index)) throw new ProtocolError(`expected chunk ${index}, got chunk ${got}`);
  const sealed = bytes.subarray(CHUNK_FRAME_HEADER_BYTES);
  if (sealed.length < TAG_BYTES || sealed.length > maxSealedBytes) {
    throw new ProtocolError(
      `chunk ${index} has ${sealed.length} sealed bytes, not ${TAG_BYTES}…${maxSealedBytes}`,
    );
  }
  return sealed;
}

/**
 * The codec of a data stream's frames, sender → recipient, for FramedStream: a chunk frame is
 * written as it is and read as one contiguous array; the header is a FileData.
 */
export const DataFrameCodec: MessageCodec<DataFrame> = {
  encode: (frame) => isChunkFrame(frame) ? frame.bytes : FileData.encode(frame),
  decode: (data: Uint8Array | Uint8ArrayList) => {
    const bytes = data instanceof Uint8Array ? data : data.subarray();
    if (bytes.length > 0 && bytes[0]! < FIRST_FIELD_TAG) return { bytes };
    return FileData.decode(bytes);
  },
};
