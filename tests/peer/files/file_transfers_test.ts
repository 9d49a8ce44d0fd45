import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { join } from "node:path";
import { streamPair } from "@libp2p/utils";
import { fromHex, toHex } from "../../../src/crypto/bytes.ts";
import { CHUNK_FORMAT } from "../../../src/crypto/file_chunks.ts";
import { randomBytes } from "../../../src/crypto/primitives.ts";
import { FramedStream } from "../../../src/net/framed.ts";
import {
  CHUNK_FRAME_VERSION,
  DataFrameCodec,
  isChunkFrame,
} from "../../../src/peer/files/chunk_frame.ts";
import { dataFrames } from "../../../src/peer/files/constants.ts";
import type { FileEvent } from "../../../src/peer/files/events.ts";
import { FileTransfers } from "../../../src/peer/files/file_transfers.ts";
import type { ContentMessage } from "../../../src/peer/service.ts";
import { PEER_MIGRATIONS } from "../../../src/peer/store/schema.ts";
import { peerIdOfKey } from "../../../src/peer/trust.ts";
import { FileData, FileOffer, FileReply, FileRequest } from "../../../src/proto/file.ts";
import { CONTENT_KINDS, PROTOCOL } from "../../../src/protocol/ids.ts";
import { openDatabase } from "../../../src/store/database.ts";

const NOW = 1_700_000_000_000;
const alicePeer = peerIdOfKey((await generateKeyPair("Ed25519")).publicKey.raw);

/** Bob's file transfers on in-memory SQLite, with recording fakes for the ports. */
function bobsFiles(maxFileBytes?: number) {
  const db = openDatabase(":memory:", PEER_MIGRATIONS);
  const sent: { to: string; kind: string; payload: Uint8Array }[] = [];
  const service = new FileTransfers({
    username: "bob",
    profile: { db, storageKey: new Uint8Array(32).fill(3) },
    now: () => NOW,
    content: {
      sendContent: (to, kind, payload) => {
        sent.push({ to, kind, payload });
        return Promise.resolve(sent.length.toString(16).padStart(32, "0")); // a message id
      },
    },
    users: {
      resolvePeer: () => Promise.resolve(alicePeer),
      usernameOf: (peer) => peer.equals(alicePeer) ? "alice" : undefined,
    },
    streams: { openStream: () => Promise.reject(new Error("no network in this test")) },
  }, maxFileBytes === undefined ? {} : { maxFileBytes });
  const events: FileEvent[] = [];
  service.on((event) => events.push(event));
  return { service, events, sent, close: () => db.close() };
}

function offer(size = 1000, chunkFormat = CHUNK_FORMAT) {
  const transferId = randomBytes(16);
  const payload = FileOffer.encode({
    transferId,
    name: "notes.txt",
    size: BigInt(size),
    sha256: new Uint8Array(32).fill(1),
    fileKey: randomBytes(32),
    chunkSize: 64 * 1024,
    chunkFormat,
  });
  const message: ContentMessage = { id: "m1", from: "alice", sentAt: NOW, text: "", payload };
  return { transferId, message };
}

Deno.test("files service: declares the file kinds and serves the file protocol", () => {
  const { service, close } = bobsFiles();
  try {
    assert.deepEqual(
      Object.keys(service.contentHandlers).sort(),
      [CONTENT_KINDS.file.offer, CONTENT_KINDS.file.reply].sort(),
    );
    assert.deepEqual(Object.keys(service.protocols), [PROTOCOL.file]);
  } finally {
    close();
  }
});

Deno.test("files service: an offer fed as content waits for /accept; a repeat changes nothing", async () => {
  const { service, events, close } = bobsFiles();
  try {
    const { transferId, message } = offer();
    const handle = service.contentHandlers[CONTENT_KINDS.file.offer]!;
    await handle(message);
    await handle(message); // a resend after a crash before the commit
    const pending = service.pending();
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.id, toHex(transferId));
    assert.equal(pending[0]!.peer, "alice");
    assert.deepEqual(events.map((e) => e.type), ["file-offered"]);
  } finally {
    close();
  }
});

Deno.test("files service: a too large or malformed offer is refused (the message is rejected)", async () => {
  const { service, close } = bobsFiles(500);
  try {
    const handle = service.contentHandlers[CONTENT_KINDS.file.offer]!;
    await assert.rejects(Promise.resolve(handle(offer(501).message)), /accepts files up to/);
    const garbage = { ...offer().message, payload: Uint8Array.of(0xff, 0x01) };
    await assert.rejects(Promise.resolve(handle(garbage)), RangeError);
    assert.deepEqual(service.pending(), []);
  } finally {
    close();
  }
});

Deno.test("files service: an offer in the old AES-GCM chunk format is refused by name", async () => {
  const { service, close } = bobsFiles();
  try {
    const handle = service.contentHandlers[CONTENT_KINDS.file.offer]!;
    await assert.rejects(
      Promise.resolve(handle(offer(1000, 0).message)),
      /chunk format 0 \(AES-256-GCM.*reads only chunk format 2/,
    );
    assert.deepEqual(service.pending(), []);
  } finally {
    close();
  }
});

Deno.test("files service: rejecting an offer replies to the sender over the ratchet", async () => {
  const { service, sent, close } = bobsFiles();
  try {
    const { transferId, message } = offer();
    await service.contentHandlers[CONTENT_KINDS.file.offer]!(message);
    service.reject(undefined, "no thanks");
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.to, "alice");
    assert.equal(sent[0]!.kind, CONTENT_KINDS.file.reply);
    const reply = FileReply.decode(sent[0]!.payload);
    assert.deepEqual(reply.transferId, transferId);
    assert.equal(reply.result, FileReply.Result.REJECTED);
    assert.equal(reply.reason, "no thanks");
  } finally {
    close();
  }
});

Deno.test("files service: a malformed reply is refused", async () => {
  const { service, close } = bobsFiles();
  try {
    const handle = service.contentHandlers[CONTENT_KINDS.file.reply]!;
    const message = { ...offer().message, payload: Uint8Array.of(0xff, 0xff, 0xff) };
    await assert.rejects(async () => await handle(message), /malformed file reply/);
  } finally {
    close();
  }
});

Deno.test("files service: a data request in the old chunk frames (or old chunk format) is refused by name", async () => {
  const { service, close } = bobsFiles();
  const dir = await Deno.makeTempDir({ prefix: "tincan-files-serve-" });
  try {
    await Deno.writeFile(join(dir, "notes.txt"), randomBytes(3000));
    const offered = await service.offer("alice", join(dir, "notes.txt"));
    const old = [
      { chunkFormat: CHUNK_FORMAT, frameVersion: 0, refused: /chunk frame version 0 \(protobuf/ },
      {
        chunkFormat: 0,
        frameVersion: CHUNK_FRAME_VERSION,
        refused: /chunk format 0 \(AES-256-GCM/,
      },
    ];
    for (const { chunkFormat, frameVersion, refused } of old) {
      const [outbound, inbound] = await streamPair();
      const serving = service.protocols[PROTOCOL.file]!.handler(inbound, alicePeer);
      const alice = new FramedStream(outbound, DataFrameCodec, FileRequest, dataFrames(1024, 4));
      await alice.write({
        transferId: fromHex(offered.id),
        fromChunk: 0n,
        credit: 4,
        chunkFormat,
        frameVersion,
      });
      const header = await alice.read();
      assert.ok(!isChunkFrame(header));
      assert.equal(header.status, FileData.Status.E_BAD_REQUEST);
      assert.match(header.reason, refused);
      assert.match(header.reason, /update tincan/);
      await serving;
    }
  } finally {
    await service.stop();
    close();
    await Deno.remove(dir, { recursive: true });
  }
});
