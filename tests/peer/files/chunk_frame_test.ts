import assert from "node:assert/strict";
import { Uint8ArrayList } from "uint8arraylist";
import { concat } from "../../../src/crypto/primitives.ts";
import { ProtocolError } from "../../../src/errors.ts";
import {
  CHUNK_FRAME_HEADER_BYTES,
  CHUNK_FRAME_VERSION,
  type ChunkFrame,
  DataFrameCodec,
  decodeChunkFrame,
  describeFrameVersion,
  encodeChunkFrame,
  isChunkFrame,
} from "../../../src/peer/files/chunk_frame.ts";
import { FileData } from "../../../src/proto/file.ts";

const SEALED = Uint8Array.from({ length: 40 }, (_, i) => i);

function encoded(index: number, sealed = SEALED): Uint8Array {
  return encodeChunkFrame(index, [sealed]).bytes.subarray();
}

/** `bytes` as a stream may deliver them: a list of uneven pieces. */
function delivered(bytes: Uint8Array, cuts: number[]): ChunkFrame {
  const list = new Uint8ArrayList();
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    list.append(bytes.subarray(at, cut));
    at = cut;
  }
  return { bytes: list };
}

Deno.test("chunk frame: version ‖ index (uint64 big-endian) ‖ sealed chunk, and back", () => {
  const bytes = encoded(0x0102030405);
  assert.deepEqual(
    bytes.subarray(0, CHUNK_FRAME_HEADER_BYTES),
    Uint8Array.of(CHUNK_FRAME_VERSION, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05),
  );
  assert.deepEqual(bytes.subarray(CHUNK_FRAME_HEADER_BYTES), SEALED);
  const { ciphertext, tag } = decodeChunkFrame(
    { bytes: new Uint8ArrayList(bytes) },
    0x0102030405,
    SEALED.length,
  );
  assert.deepEqual(concat(...ciphertext, tag), SEALED);
  assert.deepEqual(tag, SEALED.subarray(SEALED.length - 16));
  assert.equal(ciphertext[0]!.buffer, bytes.buffer); // a view, not a copy
});

Deno.test("chunk frame: the sealed pieces are framed as they are, and read back in any split", () => {
  const pieces = [SEALED.subarray(0, 10), SEALED.subarray(10)];
  const frame = encodeChunkFrame(5, pieces);
  const framed = [...frame.bytes];
  assert.equal(framed[1], pieces[0]); // not copied
  assert.equal(framed[2], pieces[1]);
  const bytes = frame.bytes.subarray();
  // cut inside the header, inside the ciphertext and inside the tag
  const { ciphertext, tag } = decodeChunkFrame(delivered(bytes, [4, 20, 40]), 5, SEALED.length);
  assert.deepEqual(concat(...ciphertext), SEALED.subarray(0, SEALED.length - 16));
  assert.deepEqual(tag, SEALED.subarray(SEALED.length - 16));
  assert.ok(ciphertext.length >= 2);
});

Deno.test("chunk frame: a truncated header, another version, another index or too many bytes fail", () => {
  const bytes = encoded(7);
  const refused: [string, Uint8Array, number, number, RegExp][] = [
    ["truncated header", bytes.subarray(0, 5), 7, 100, /5 bytes is shorter than its header/],
    ["no tag", encoded(7, new Uint8Array(15)), 7, 100, /15 sealed bytes/],
    ["another version", Uint8Array.of(2, ...bytes.subarray(1)), 7, 100, /version 2; .* only 1/],
    ["version 0", Uint8Array.of(0, ...bytes.subarray(1)), 7, 100, /version 0/],
    ["another index", bytes, 6, 100, /expected chunk 6, got chunk 7/],
    ["oversized", bytes, 7, SEALED.length - 1, /40 sealed bytes, not 16…39/],
  ];
  for (const [name, frame, index, max, message] of refused) {
    const list = () => ({ bytes: new Uint8ArrayList(frame) });
    assert.throws(() => decodeChunkFrame(list(), index, max), ProtocolError, name);
    assert.throws(() => decodeChunkFrame(list(), index, max), message, name);
    const split = () => delivered(frame, [1, Math.min(3, frame.length)]);
    assert.throws(() => decodeChunkFrame(split(), index, max), message, `${name}, in pieces`);
  }
  assert.throws(() => encodeChunkFrame(-1, [new Uint8Array(16)]), RangeError);
});

Deno.test("chunk frame: the codec writes a chunk frame as it is and tells it from the header", () => {
  const frame = encodeChunkFrame(3, [SEALED]);
  assert.equal(DataFrameCodec.encode(frame), frame.bytes); // no copy
  const read = DataFrameCodec.decode(frame.bytes);
  assert.ok(isChunkFrame(read));
  assert.equal(read.bytes, frame.bytes); // the list as it came, not joined
  const whole = DataFrameCodec.decode(frame.bytes.subarray());
  assert.ok(isChunkFrame(whole));
  assert.deepEqual(whole.bytes.subarray(), frame.bytes.subarray());
  const header: FileData = {
    status: FileData.Status.E_UNKNOWN,
    reason: "no such transfer",
    salt: new Uint8Array(32),
    index: 0n,
    chunk: new Uint8Array(),
    chunkFormat: 2,
    frameVersion: CHUNK_FRAME_VERSION,
  };
  const back = DataFrameCodec.decode(DataFrameCodec.encode(header));
  assert.ok(!isChunkFrame(back));
  assert.equal(back.reason, "no such transfer");
  assert.equal(back.frameVersion, CHUNK_FRAME_VERSION);
});

Deno.test("chunk frame versions are named in refusals", () => {
  assert.match(describeFrameVersion(CHUNK_FRAME_VERSION), /bare frames/);
  assert.match(describeFrameVersion(0), /protobuf FileData frames/);
  assert.match(describeFrameVersion(9), /unknown/);
});
