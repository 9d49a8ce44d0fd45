/**
 * The raw baseline of file transfer: one plain libp2p stream carrying `bytes` bytes in writes of
 * one chunk each, to a sink that counts them and answers one byte once the writer closes. The
 * sink serves it twice: with Yamux's own 256 KiB window, and with the receive window a file data
 * stream's recipient grants (DATA_STREAM_WINDOW_BYTES, lazyWindowUpdates), the fair baseline.
 */
import type { PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { TincanNode } from "../src/net/node.ts";
import { openStream } from "../src/net/dial.ts";
import { lazyWindowUpdates } from "../src/net/lazy_window_updates.ts";
import { DATA_STREAM_WINDOW_BYTES } from "../src/peer/files/constants.ts";

/** The bulk sink's protocol, by receive window: Yamux's own, or a file data stream's. */
export const BULK_PROTOCOLS = {
  yamux: "/tincan-bench/bulk/1.0.0",
  file: "/tincan-bench/bulk-file-window/1.0.0",
} as const;

/** Serves the bulk sink on `node`, under both protocols. */
export async function serveBulk(node: TincanNode): Promise<void> {
  await node.handle(BULK_PROTOCOLS.yamux, (stream) => sink(stream));
  await node.handle(BULK_PROTOCOLS.file, (stream) => {
    lazyWindowUpdates(stream, DATA_STREAM_WINDOW_BYTES);
    return sink(stream);
  });
}

async function sink(stream: Stream): Promise<void> {
  let received = 0;
  try {
    for await (const data of stream) received += data.byteLength;
    stream.send(Uint8Array.of(received > 0 ? 1 : 0));
    await stream.close();
  } catch (err: unknown) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * Sends `bytes` bytes in `chunkBytes` writes to the sink, under the sink's receive `window`;
 * returns the seconds it took.
 */
export async function sendBulk(
  node: TincanNode,
  target: Multiaddr | PeerId,
  bytes: number,
  chunkBytes: number,
  window: keyof typeof BULK_PROTOCOLS,
): Promise<number> {
  const start = performance.now();
  const stream = await openStream(node, target, BULK_PROTOCOLS[window]);
  const chunk = new Uint8Array(chunkBytes);
  for (let sent = 0; sent < bytes; sent += chunkBytes) {
    if (!stream.send(chunk.subarray(0, Math.min(chunkBytes, bytes - sent)))) {
      await stream.onDrain();
    }
  }
  const answered = (async () => {
    for await (const _ of stream) return;
  })();
  await stream.close();
  await answered;
  return (performance.now() - start) / 1000;
}
