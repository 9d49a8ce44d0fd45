import { CONTENT_KINDS } from "../../src/protocol/ids.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { sealAtRest } from "../../src/crypto/at_rest.ts";
import { randomBytes } from "../../src/crypto/primitives.ts";
import { fromHex, toHex } from "../../src/crypto/bytes.ts";
import type { FileEvent } from "../../src/peer/files/events.ts";
import {
  files,
  type FileTransferOptions,
  type FileTransfers,
} from "../../src/peer/files/file_transfers.ts";
import type { ServiceFactory } from "../../src/peer/service.ts";
import { CHUNK_FORMAT } from "../../src/crypto/file_chunks.ts";
import { FileOffer } from "../../src/proto/file.ts";
import { FileTransferStore } from "../../src/peer/store/file_transfers.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

/** A test peer running the file-transfer service. */
type FilePeer = TestPeer<{ files: ServiceFactory<FileTransfers> }>;

/**
 * Starts `username` with file transfers (`options`), recording its file events from before it
 * logs in (downloads resumed at start included).
 */
async function withFiles(
  address: Parameters<typeof startPeer>[0],
  username: string,
  options: FileTransferOptions = {},
  peerOptions: { profileDir?: string } = {},
) {
  const events: FileEvent[] = [];
  const waiters = new Set<() => void>();
  const t: FilePeer = await startPeer(address, username, {
    ...peerOptions,
    services: { files: files(options) },
    beforeStart: (peer) => {
      peer.services.files.on((event) => {
        events.push(event);
        for (const wake of [...waiters]) wake();
      });
    },
  });
  const peer = t;
  const next = <T extends FileEvent["type"]>(
    type: T,
    match: (e: Extract<FileEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<Extract<FileEvent, { type: T }>> => {
    type E = Extract<FileEvent, { type: T }>;
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find((e) => e.type === type && match(e as E));
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found as E);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${peer.peer.username}: no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  };
  return { t, files: t.peer.services.files, events, next };
}

async function sha256Hex(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

async function randomFile(dir: string, name: string, bytes: number): Promise<string> {
  const path = join(dir, name);
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  await Deno.writeFile(path, data);
  return path;
}

/**
 * Makes `sender` offer `path` under any `name` and `sha256` (what a hostile or broken sender
 * could do): the transfer row is written as FileTransfers.offer would, the offer crafted by hand.
 */
async function craftedOffer(
  sender: FilePeer,
  to: string,
  path: string,
  name: string,
  sha256?: Uint8Array,
): Promise<string> {
  const transferId = randomBytes(16);
  const fileKey = randomBytes(32);
  const { size } = await Deno.stat(path);
  const hash = sha256 ?? fromHex(await sha256Hex(path));
  const context = new Uint8Array([...new TextEncoder().encode("file-key:"), ...transferId]);
  new FileTransferStore(sender.profile.db).insert({
    transferId,
    peer: to,
    outgoing: true,
    offerMessageId: undefined,
    name,
    size,
    sha256: hash,
    sealedKey: await sealAtRest(sender.profile.storageKey, fileKey, context),
    chunkSize: 64 * 1024,
    path,
    partPath: "",
    verifiedChunks: 0,
    status: "offered",
    reason: "",
    createdAt: Date.now(),
  });
  await sender.peer.sendContent(
    to,
    CONTENT_KINDS.file.offer,
    FileOffer.encode({
      transferId,
      name,
      size: BigInt(size),
      sha256: hash,
      fileKey,
      chunkSize: 64 * 1024,
      chunkFormat: CHUNK_FORMAT,
    }),
  );
  return toHex(transferId);
}

Deno.test("a 50 MB transfer cut halfway resumes from the last verified chunk; the hash matches", async () => {
  const { rendezvous, address } = await withRendezvous();
  const dir = await Deno.makeTempDir({ prefix: "tincan-files-" });
  const inbox = join(dir, "inbox");
  const a = await withFiles(address, "alice");
  const b = await withFiles(address, "bob", { downloadDir: inbox, autoAccept: true });
  const alice = a.t;
  const bob = b.t;
  try {
    const source = await randomFile(dir, "big.bin", 50 * 1024 * 1024);
    let cut = false;
    b.files.on((event) => {
      if (event.type === "file-progress" && !cut && event.doneBytes >= 25 * 1024 * 1024) {
        cut = true;
        void bob.peer.node.hangUp(alice.peer.node.peerId);
      }
    });
    const offered = await a.files.offer("bob", source);
    const done = await b.next("file-complete", (e) => e.transfer.id === offered.id, 50_000);
    await a.next("file-complete", (e) => e.transfer.id === offered.id);

    const starts = b.events.filter((e) => e.type === "file-started");
    assert.ok(starts.length >= 2, `expected a resumed download, saw ${starts.length} start(s)`);
    assert.equal(starts[0]!.fromByte, 0);
    assert.ok(
      starts[1]!.fromByte >= 24 * 1024 * 1024,
      `resumed from byte ${starts[1]!.fromByte}, not from the cut`,
    );
    assert.ok(b.events.some((e) => e.type === "file-interrupted"));
    assert.equal(done.transfer.path, join(inbox, "big.bin"));
    assert.equal(await sha256Hex(done.transfer.path), offered.sha256);
    assert.deepEqual([...Deno.readDirSync(inbox)].map((e) => e.name), ["big.bin"]);
    await Promise.all([a.files.stop(), b.files.stop()]);
  } finally {
    await stopAll(alice, bob, rendezvous);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a download resumes after the recipient restarts", async () => {
  const { rendezvous, address } = await withRendezvous();
  const dir = await Deno.makeTempDir({ prefix: "tincan-files-" });
  const inbox = join(dir, "inbox");
  const a = await withFiles(address, "alice");
  const alice = a.t;
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  const bobFiles = { downloadDir: inbox, autoAccept: true };
  let b = await withFiles(address, "bob", bobFiles, { profileDir: bobDir });
  let bob = b.t;
  try {
    const source = await randomFile(dir, "restart.bin", 8 * 1024 * 1024);
    const offered = await a.files.offer("bob", source);
    await b.next("file-progress", (e) => e.doneBytes >= 3 * 1024 * 1024);
    await b.files.stop();
    await bob.stop();
    b = await withFiles(address, "bob", bobFiles, { profileDir: bobDir });
    bob = b.t;
    const done = await b.next("file-complete", (e) => e.transfer.id === offered.id);
    const resumed = b.events.find((e) => e.type === "file-started");
    assert.ok(resumed && resumed.fromByte >= 3 * 1024 * 1024, "did not resume from disk");
    assert.equal(await sha256Hex(done.transfer.path), offered.sha256);
    await Promise.all([a.files.stop(), b.files.stop()]);
  } finally {
    await stopAll(alice, bob, rendezvous);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a path-traversal name is neutralised, and an existing file is not overwritten", async () => {
  const { rendezvous, address } = await withRendezvous();
  const dir = await Deno.makeTempDir({ prefix: "tincan-files-" });
  const inbox = join(dir, "deep", "inbox");
  const alice = (await withFiles(address, "alice")).t;
  const b = await withFiles(address, "bob", { downloadDir: inbox });
  const bob = b.t;
  try {
    const source = await randomFile(dir, "payload.sh", 100_000);
    await Deno.mkdir(inbox, { recursive: true });
    await Deno.writeTextFile(join(inbox, "evil.sh"), "mine");
    const id = await craftedOffer(alice, "bob", source, "../../evil.sh");
    const offer = await b.next("file-offered", (e) => e.transfer.id === id);
    assert.equal(offer.transfer.name, "evil.sh");
    await b.files.accept();
    const done = await b.next("file-complete", (e) => e.transfer.id === id);
    assert.equal(done.transfer.path, join(inbox, "evil (1).sh"));
    assert.equal(await Deno.readTextFile(join(inbox, "evil.sh")), "mine");
    assert.deepEqual([...Deno.readDirSync(join(dir, "deep"))].map((e) => e.name), ["inbox"]);
    assert.equal(await sha256Hex(done.transfer.path), await sha256Hex(source));
    await b.files.stop();
  } finally {
    await stopAll(alice, bob, rendezvous);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a hash mismatch deletes the partial file and both sides hear it; big and rejected offers are refused", async () => {
  const { rendezvous, address } = await withRendezvous();
  const dir = await Deno.makeTempDir({ prefix: "tincan-files-" });
  const inbox = join(dir, "inbox");
  const a = await withFiles(address, "alice");
  const b = await withFiles(address, "bob", { downloadDir: inbox, maxFileBytes: 1_000_000 });
  const alice = a.t;
  const bob = b.t;
  try {
    const source = await randomFile(dir, "data.bin", 300_000);

    const id = await craftedOffer(alice, "bob", source, "data.bin", new Uint8Array(32));
    await b.next("file-offered", (e) => e.transfer.id === id);
    await b.files.accept(id.slice(0, 8));
    const failed = await b.next("file-failed", (e) => e.transfer.id === id);
    assert.match(failed.reason, /does not match the offered SHA-256/);
    assert.deepEqual([...Deno.readDirSync(inbox)], []);
    const heard = await a.next("file-failed", (e) => e.transfer.id === id);
    assert.match(heard.reason, /SHA-256/);

    const big = await randomFile(dir, "big.bin", 1_000_001);
    const refused = await a.files.offer("bob", big);
    const why = await a.next("file-rejected", (e) => e.transfer.id === refused.id);
    assert.match(why.reason, /big\.bin is 977 KiB; bob accepts files up to 977 KiB/);

    const declined = await a.files.offer("bob", source);
    await b.next("file-offered", (e) => e.transfer.id === declined.id);
    b.files.reject(declined.id, "no thanks");
    const rejected = await a.next("file-rejected", (e) => e.transfer.id === declined.id);
    assert.equal(rejected.reason, "no thanks");
    await Promise.all([a.files.stop(), b.files.stop()]);
  } finally {
    await stopAll(alice, bob, rendezvous);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("either side cancels: the data stops, the partial file is deleted, both hear who cancelled", async () => {
  const { rendezvous, address } = await withRendezvous();
  const dir = await Deno.makeTempDir({ prefix: "tincan-files-" });
  const inbox = join(dir, "inbox");
  const a = await withFiles(address, "alice");
  const b = await withFiles(address, "bob", { downloadDir: inbox, autoAccept: true });
  const c = await withFiles(address, "carol", { downloadDir: inbox });
  const alice = a.t;
  const bob = b.t;
  const carol = c.t;
  try {
    const source = await randomFile(dir, "big.bin", 40 * 1024 * 1024);
    await assert.rejects(a.files.cancel(), /no transfer is open/);
    const inInbox = () => [...Deno.readDirSync(inbox)].map((e) => e.name);
    let cancelFailed: unknown;
    // `earlier`: a transfer cancelled before, whose chunks in flight may still show progress.
    const cancelMidway = (by: Awaited<ReturnType<typeof withFiles>>, earlier?: string) => {
      let done = false;
      b.files.on((event) => {
        if (
          event.type === "file-progress" && !done && event.transfer.id !== earlier &&
          event.doneBytes >= 2 * 1024 * 1024
        ) {
          done = true;
          // By the event's id: 2 MiB may arrive before the sender's offer() has resolved.
          by.files.cancel(event.transfer.id.slice(0, 8)).catch((err) => cancelFailed ??= err);
        }
      });
    };

    // The sender cancels halfway.
    cancelMidway(a);
    const first = await a.files.offer("bob", source);
    const sent = await a.next("file-failed", (e) => e.transfer.id === first.id);
    assert.equal(sent.reason, "you cancelled it", "alice is not told that alice cancelled it");
    const got = await b.next("file-failed", (e) => e.transfer.id === first.id);
    assert.match(got.reason, /alice cancelled it/);
    assert.deepEqual(inInbox(), [], "the partial file is deleted");
    assert.equal(b.files.list().find((t) => t.id === first.id)?.status, "failed");

    // The recipient cancels halfway.
    cancelMidway(b, first.id);
    const second = await a.files.offer("bob", source);
    assert.equal(
      (await b.next("file-failed", (e) => e.transfer.id === second.id)).reason,
      "you cancelled it",
    );
    assert.equal(
      (await a.next("file-failed", (e) => e.transfer.id === second.id)).reason,
      "bob cancelled it",
    );
    assert.deepEqual(inInbox(), []);
    assert.ok(!b.events.some((e) => e.type === "file-complete"));
    assert.equal(cancelFailed, undefined, "each cancel found its transfer");
    for (const [side, events] of [["alice", a.events], ["bob", b.events]] as const) {
      for (const id of [first.id, second.id]) {
        const failedAt = events.findIndex((e) => e.type === "file-failed" && e.transfer.id === id);
        assert.ok(
          !events.slice(failedAt).some((e) => e.type === "file-progress" && e.transfer.id === id),
          `${side} shows no progress of ${id} after it failed`,
        );
      }
    }

    // An offer not accepted yet: it leaves the recipient's pending list.
    const third = (await a.files.offer("carol", source)).id;
    await c.next("file-offered", (e) => e.transfer.id === third);
    assert.equal(c.files.pending().length, 1);
    await a.files.cancel();
    assert.match(
      (await c.next("file-failed", (e) => e.transfer.id === third)).reason,
      /alice cancelled it/,
    );
    assert.deepEqual(c.files.pending(), []);
    await assert.rejects(c.files.accept(third), /no pending file offer/);
    await Promise.all([a.files.stop(), b.files.stop(), c.files.stop()]);
  } finally {
    await stopAll(alice, bob, carol, rendezvous);
    await Deno.remove(dir, { recursive: true });
  }
});
