/**
 * File transfer against a raw libp2p stream, in one run. The recipient (bench/file_peer_process.ts,
 * auto-accepting) and the raw sink (bench/bulk_process.ts) each run in a process of their own;
 * the sender, alice, and the raw writer in the bench process. Both move the same bytes in the same
 * chunk size, sender here, recipient there.
 *
 *  - data phase: from alice's file-started (bob opened the data stream) to alice's file-complete
 *    (bob verified the SHA-256, kept the file and his COMPLETED reply came back)
 *  - end to end: from offer() (alice hashes the file first) to the same file-complete
 *  - raw: one plain stream, the same bytes in writes of one chunk, until the sink's answer; under
 *    the receive window a file data stream's recipient grants (the baseline), and under Yamux's
 *    own 256 KiB (which never grows in tincan, its keep-alive ping being off)
 *
 * CPU time (both processes, from /proc) is taken over the data phase and the raw send: on this
 * shared machine the rates follow the CPU share the bench gets, the CPU per MiB much less so.
 */
import { join } from "node:path";
import { configureLogging } from "../src/log.ts";
import { DEFAULT_CHUNK_BYTES } from "../src/peer/files/constants.ts";
import { files as fileService, type FileTransfers } from "../src/peer/files/file_transfers.ts";
import type { ServiceFactory } from "../src/peer/service.ts";
import { createPeer, type Peer } from "../src/peer/peer.ts";
import { openProfile } from "../src/peer/profile.ts";
import { BULK_PROTOCOLS, sendBulk } from "./bulk.ts";
import { benchPeerOptions, startClient, stopClients } from "./clients.ts";
import { readCpuMs } from "./proc.ts";
import { spawnServerProcess } from "./server_process.ts";

/** One raw stream's send: seconds, and CPU milliseconds of the writer's and the sink's process. */
export interface RawSend {
  readonly seconds: number;
  readonly writerCpuMs: number;
  readonly sinkCpuMs: number;
}

/** What the file bench measured, in seconds for `bytes` bytes. */
export interface FileResult {
  readonly bytes: number;
  readonly chunkBytes: number;
  /** The file transfer's data phase, with each side's CPU milliseconds over it. */
  readonly data: DataPhase;
  /** The raw stream under a file data stream's receive window: the baseline. */
  readonly raw: RawSend;
  /** The raw stream under Yamux's own 256 KiB window. */
  readonly rawYamuxWindow: RawSend;
}

/** Sends a `bytes`-byte file alice → bob, then the same bytes over a raw stream (both windows). */
export async function benchFiles(bytes: number): Promise<FileResult> {
  const dir = await Deno.makeTempDir({ prefix: "tincan-bench-files-" });
  try {
    const source = await writePayload(dir, bytes);
    const data = await fileTransfer(dir, source);
    const [raw, rawYamuxWindow] = await rawSends(bytes, ["file", "yamux"]);
    return {
      bytes,
      chunkBytes: DEFAULT_CHUNK_BYTES,
      data,
      raw: raw!,
      rawYamuxWindow: rawYamuxWindow!,
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The data phase of one transfer, with each side's CPU milliseconds over it. */
export interface DataPhase {
  readonly dataSeconds: number;
  readonly endToEndSeconds: number;
  readonly dataCpuMs: number;
  readonly senderCpuMs: number;
  readonly recipientCpuMs: number;
}

/**
 * Offers `source` alice → bob (a recipient process of its own, with a rendezvous process), and
 * times it from bob's opening of the data stream to alice's file-complete.
 * @throws Error when the transfer fails.
 */
export async function fileTransfer(dir: string, source: string): Promise<DataPhase> {
  const rendezvous = await spawnServerProcess(new URL("./rendezvous_process.ts", import.meta.url));
  let bob;
  let alice: Peer<{ files: ServiceFactory<FileTransfers> }> | undefined;
  const profile = await openProfile(join(dir, "alice"));
  try {
    bob = await spawnServerProcess(new URL("./file_peer_process.ts", import.meta.url), [
      "--rendezvous",
      rendezvous.address.toString(),
      "--username",
      "bob",
    ]);
    alice = createPeer({
      ...benchPeerOptions(profile, "alice", rendezvous.address.toString()),
      services: { files: fileService() },
    });
    await alice.start();
    const { files } = alice.services;
    let started = 0;
    const bobPid = bob;
    const cpu = () => Promise.all([readCpuMs(Deno.pid), bobPid.cpuMs()]);
    let cpuAtStart: Promise<number[]> = Promise.resolve([0, 0]);
    let settle: (outcome: { at: number; error?: string }) => void = () => {};
    const done = new Promise<{ at: number; error?: string }>((r) => settle = r);
    files.on((event) => {
      if (event.type === "file-started") {
        started = performance.now();
        cpuAtStart = cpu();
      }
      if (event.type === "file-complete") settle({ at: performance.now() });
      if (event.type === "file-failed" || event.type === "file-rejected") {
        settle({ at: performance.now(), error: event.reason });
      }
    });
    const offered = performance.now();
    await files.offer("bob", source);
    const outcome = await done;
    if (outcome.error !== undefined) throw new Error(`file bench: ${outcome.error}`);
    const [[sender, recipient], [senderAtStart, recipientAtStart]] = await Promise.all([
      cpu(),
      cpuAtStart,
    ]);
    const [senderCpuMs, recipientCpuMs] = [
      sender! - senderAtStart!,
      recipient! - recipientAtStart!,
    ];
    return {
      dataCpuMs: senderCpuMs + recipientCpuMs,
      senderCpuMs,
      recipientCpuMs,
      dataSeconds: (outcome.at - started) / 1000,
      endToEndSeconds: (outcome.at - offered) / 1000,
    };
  } finally {
    await alice?.stop().catch(() => {});
    profile.close();
    await bob?.stop();
    await rendezvous.stop();
    configureLogging("warn");
  }
}

/** Writes `bytes` random bytes to payload.bin in `dir`, and returns its path. */
export async function writePayload(dir: string, bytes: number): Promise<string> {
  const source = join(dir, "payload.bin");
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  await Deno.writeFile(source, data);
  return source;
}

/** `bytes` over a raw stream to a sink process, once per receive window in `windows`, in turn. */
async function rawSends(
  bytes: number,
  windows: readonly (keyof typeof BULK_PROTOCOLS)[],
): Promise<RawSend[]> {
  const server = await spawnServerProcess(new URL("./bulk_process.ts", import.meta.url));
  const client = await startClient("raw-bulk");
  const chunk = DEFAULT_CHUNK_BYTES;
  try {
    const sends: RawSend[] = [];
    for (const window of windows) {
      await sendBulk(client.node, server.address, chunk * 8, chunk, window); // warm up
      const cpu = () => Promise.all([readCpuMs(Deno.pid), server.cpuMs()]);
      const [writer, sink] = await cpu();
      const seconds = await sendBulk(client.node, server.address, bytes, chunk, window);
      const [writerAfter, sinkAfter] = await cpu();
      sends.push({ seconds, writerCpuMs: writerAfter! - writer!, sinkCpuMs: sinkAfter! - sink! });
    }
    return sends;
  } finally {
    await stopClients([client]);
    await server.stop();
  }
}
