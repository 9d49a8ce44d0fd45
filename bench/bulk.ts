/**
 * The raw baseline of file transfer: one plain libp2p stream carrying `bytes` bytes in writes of
 * one chunk each, to a sink that counts them and answers one byte once the writer closes.
 */
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { TincanNode } from "../src/net/node.ts";
import { openStream } from "../src/net/dial.ts";

/** The bulk sink's protocol. */
export const BULK_PROTOCOL = "/tincan-bench/bulk/1.0.0";

/** Serves the bulk sink on `node`. */
export async function serveBulk(node: TincanNode): Promise<void> {
  await node.handle(BULK_PROTOCOL, async (stream) => {
    let received = 0;
    try {
      for await (const data of stream) received += data.byteLength;
      stream.send(Uint8Array.of(received > 0 ? 1 : 0));
      await stream.close();
    } catch (err: unknown) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Sends `bytes` bytes in `chunkBytes` writes to the sink; returns the seconds it took. */
export async function sendBulk(
  node: TincanNode,
  target: Multiaddr | PeerId,
  bytes: number,
  chunkBytes: number,
): Promise<number> {
  const start = performance.now();
  const stream = await openStream(node, target, BULK_PROTOCOL);
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
