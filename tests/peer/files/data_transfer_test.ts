import assert from "node:assert/strict";
import { Uint8ArrayList } from "uint8arraylist";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { streamPair } from "@libp2p/utils";
import { CHUNK_FORMAT, ChunkCipher } from "../../../src/crypto/file_chunks.ts";
import { randomBytes, TAG_BYTES } from "../../../src/crypto/primitives.ts";
import { ProtocolError } from "../../../src/errors.ts";
import { FramedStream } from "../../../src/net/framed.ts";
import {
  CHUNK_FRAME_VERSION,
  type ChunkFrame,
  type DataFrame,
  DataFrameCodec,
  encodeChunkFrame,
} from "../../../src/peer/files/chunk_frame.ts";
import { CREDIT_FRAMES, dataFrames } from "../../../src/peer/files/constants.ts";
import {
  creditGrant,
  creditWindow,
  receiveChunks,
  sendChunks,
  TransferRefusedError,
} from "../../../src/peer/files/data_transfer.ts";
import { FileData, FileRequest } from "../../../src/proto/file.ts";

const CHUNK = 1024;

/** A sender's and a recipient's framed ends of one data stream, and a temp dir for files. */
async function stream(chunks: number, chunkSize = CHUNK) {
  const [outbound, inbound] = await streamPair();
  const recipient = new FramedStream(
    outbound,
    DataFrameCodec,
    FileRequest,
    dataFrames(chunkSize, chunks),
  );
  const sender = new FramedStream(inbound, FileRequest, DataFrameCodec, CREDIT_FRAMES);
  const dir = await Deno.makeTempDir({ prefix: "tincan-data-transfer-" });
  return { recipient, sender, dir };
}

function receivePlan(
  file: Deno.FsFile,
  size: number,
  transferId: Uint8Array,
  fileKey: Uint8Array,
  chunkSize = CHUNK,
) {
  const verified: number[] = [];
  const hash = createHash("sha256");
  const plan = {
    transferId,
    fileKey,
    file,
    size,
    chunkSize,
    fromChunk: 0,
    hash,
    onChunk: (n: number) => verified.push(n),
  };
  return { plan, verified, hash };
}

/**
 * Sends `data` through sendChunks and receiveChunks in chunks of `chunkSize`, checks the file and
 * its hash arrived whole, and returns the verified counts reported.
 */
async function transferWhole(data: Uint8Array, chunkSize: number): Promise<number[]> {
  const size = data.length;
  const { recipient, sender, dir } = await stream(Math.ceil(size / chunkSize), chunkSize);
  try {
    await Deno.writeFile(join(dir, "src"), data);
    const source = await Deno.open(join(dir, "src"), { read: true });
    const target = await Deno.open(join(dir, "dst"), { write: true, create: true });
    const transferId = randomBytes(16);
    const fileKey = randomBytes(32);
    const { plan, verified, hash } = receivePlan(target, size, transferId, fileKey, chunkSize);
    const sending = (async () => {
      const request = await sender.read();
      assert.equal(request.chunkFormat, CHUNK_FORMAT);
      assert.equal(request.frameVersion, CHUNK_FRAME_VERSION);
      await sendChunks(sender, {
        transferId,
        fileKey,
        file: source,
        size,
        chunkSize,
        fromChunk: Number(request.fromChunk),
        credit: request.credit,
        onChunk: () => {},
      });
    })();
    await Promise.all([receiveChunks(recipient, plan), sending]);
    source.close();
    target.close();
    assert.deepEqual(await Deno.readFile(join(dir, "dst")), data);
    assert.deepEqual(
      new Uint8Array(hash.digest()),
      new Uint8Array(createHash("sha256").update(data).digest()),
    );
    return verified;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("data stream: every chunk arrives, in order, hashed and written, each batch reported", async () => {
  const verified = await transferWhole(randomBytes(3 * CHUNK + 500), CHUNK);
  assert.deepEqual(verified, [4]); // 1 KiB chunks: all four in one write batch
});

Deno.test("data stream: many read blocks and write batches (the reused buffers taken in turn) arrive whole", async () => {
  const chunkSize = 256 * 1024; // 4 chunks per read block and per write batch
  const size = 21 * chunkSize - 123; // 21 chunks: 6 blocks, 6 batches, the last short
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 10)) & 0xff; // no two blocks alike
  assert.deepEqual(await transferWhole(data, chunkSize), [4, 8, 12, 16, 20, 21]);
});

Deno.test("data stream: a file longer than the credit window flows on the recipient's grants", async () => {
  const chunkSize = 1024 * 1024; // a window of 8 chunks, granted back 4 at a time
  assert.equal(creditWindow(chunkSize), 8);
  assert.equal(creditGrant(chunkSize), 4);
  const size = 19 * chunkSize + 7;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 20)) & 0xff;
  const batches = Array.from({ length: 20 }, (_, i) => i + 1); // 1 MiB chunks: one per batch
  assert.deepEqual(await transferWhole(data, chunkSize), batches);
});

Deno.test("data stream: a grant is half the credit window, at least one chunk", () => {
  assert.equal(creditGrant(1024), Math.floor(creditWindow(1024) / 2));
  assert.equal(creditGrant(64 * 1024 * 1024), 1); // a window of one chunk
});

/** Recipient against a hand-written sender that answers with `header` and then `chunks`. */
async function receiveFrom(
  header: Partial<FileData>,
  chunks: (salt: Uint8Array, id: Uint8Array, key: Uint8Array) => DataFrame[],
) {
  const { recipient, sender, dir } = await stream(2);
  const target = await Deno.open(join(dir, "dst"), { write: true, create: true });
  try {
    const transferId = randomBytes(16);
    const fileKey = randomBytes(32);
    const { plan, verified } = receivePlan(target, 2 * CHUNK, transferId, fileKey);
    const salt = randomBytes(32);
    const fake = (async () => {
      await sender.read();
      await sender.write({
        status: FileData.Status.OK,
        reason: "",
        salt,
        index: 0n,
        chunk: new Uint8Array(),
        chunkFormat: CHUNK_FORMAT,
        frameVersion: CHUNK_FRAME_VERSION,
        ...header,
      });
      for (const frame of chunks(salt, transferId, fileKey)) await sender.write(frame);
    })().catch(() => {});
    const result = await receiveChunks(recipient, plan).then(
      () => undefined,
      (err: unknown) => err,
    );
    await fake;
    return { result, verified };
  } finally {
    target.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function frame(index: number, chunk: Uint8Array): ChunkFrame {
  return encodeChunkFrame(index, [chunk]);
}

Deno.test("data stream: a sender in the old AES-GCM chunk format is refused by name, before any chunk", async () => {
  const { result, verified } = await receiveFrom({ chunkFormat: 0 }, () => []);
  assert.ok(result instanceof TransferRefusedError);
  assert.match(result.message, /chunk format 0 \(AES-256-GCM/);
  assert.deepEqual(verified, []);
});

Deno.test("data stream: a sender in the old protobuf chunk frames is refused by name, before any chunk", async () => {
  const { result, verified } = await receiveFrom({ frameVersion: 0 }, () => []);
  assert.ok(result instanceof TransferRefusedError);
  assert.match(result.message, /chunk frame version 0 \(protobuf FileData frames/);
  assert.deepEqual(verified, []);
});

Deno.test("data stream: a chunk frame in another version, oversized, or a second header fails", async () => {
  const sealedOf = (salt: Uint8Array, id: Uint8Array, key: Uint8Array) =>
    ChunkCipher.create(key, salt, id).seal(0, new Uint8Array(CHUNK));
  const cases: Record<
    string,
    [(s: Uint8Array, i: Uint8Array, k: Uint8Array) => DataFrame[], RegExp]
  > = {
    "another version": [(salt, id, key) => {
      const sealed = frame(0, sealedOf(salt, id, key)).bytes.subarray();
      sealed[0] = 2;
      return [{ bytes: new Uint8ArrayList(sealed) }];
    }, /chunk frame version 2/],
    oversized: [() => [frame(0, new Uint8Array(CHUNK + TAG_BYTES + 1))], /sealed bytes/],
    "a second header": [(salt) => [{
      status: FileData.Status.OK,
      reason: "",
      salt,
      index: 0n,
      chunk: new Uint8Array(CHUNK + TAG_BYTES),
      chunkFormat: CHUNK_FORMAT,
      frameVersion: 0,
    }], /expected chunk 0, got a header/],
  };
  for (const [name, [chunks, message]] of Object.entries(cases)) {
    const { result, verified } = await receiveFrom({}, chunks);
    assert.ok(result instanceof ProtocolError, name);
    assert.match(result.message, message, name);
    assert.deepEqual(verified, [], name);
  }
});

Deno.test("data stream: a flipped bit, a truncated chunk, swapped chunks or another stream's chunk fail", async () => {
  const cases: Record<string, (salt: Uint8Array, id: Uint8Array, key: Uint8Array) => DataFrame[]> =
    {
      flipped: (salt, id, key) => {
        const sealed = ChunkCipher.create(key, salt, id).seal(0, new Uint8Array(CHUNK));
        sealed[100]! ^= 0x10;
        return [frame(0, sealed)];
      },
      truncated: (salt, id, key) => {
        const sealed = ChunkCipher.create(key, salt, id).seal(0, new Uint8Array(CHUNK));
        return [frame(0, sealed.subarray(0, CHUNK))];
      },
      swapped: (salt, id, key) => {
        const cipher = ChunkCipher.create(key, salt, id);
        return [frame(0, cipher.seal(1, new Uint8Array(CHUNK)))];
      },
      "another stream": (_salt, id, key) => {
        const earlier = ChunkCipher.create(key, randomBytes(32), id);
        return [frame(0, earlier.seal(0, new Uint8Array(CHUNK)))];
      },
      "another transfer": (salt, _id, key) => {
        const other = ChunkCipher.create(key, salt, randomBytes(16));
        return [frame(0, other.seal(0, new Uint8Array(CHUNK)))];
      },
    };
  for (const [name, chunks] of Object.entries(cases)) {
    const { result, verified } = await receiveFrom({}, chunks);
    assert.ok(result instanceof ProtocolError, name);
    assert.match(result.message, /chunk 0 failed its integrity check/, name);
    assert.deepEqual(verified, [], name);
  }
  const reordered = await receiveFrom({}, (salt, id, key) => {
    const cipher = ChunkCipher.create(key, salt, id);
    return [frame(1, cipher.seal(1, new Uint8Array(CHUNK)))];
  });
  assert.ok(reordered.result instanceof ProtocolError);
  assert.match(reordered.result.message, /expected chunk 0, got chunk 1/);
});
