/**
 * Yamux window updates for a long-lived stream of small frames, sent only once half the receive
 * window is used. @chainsafe/libp2p-yamux 8 answers every data frame it receives with a window
 * update frame of its own, so on the presence stream (a heartbeat and its answer every 20 s) each
 * side sent two frames for every one it meant, as on a chat stream (a frame of envelopes, then its
 * Acks) — and on loopback each frame is a Noise seal, a socket write and, at the other end, a
 * read, an open and a Yamux dispatch. Go's and Rust's Yamux update at half the window instead;
 * the protocol leaves the timing to the receiver, and the sender still never sends past the credit
 * it has, so nothing else changes. The stream's own `sendWindowUpdate` is wrapped on that one
 * instance; a stream of another muxer (no such method, or not the fields it needs) is left as it
 * is.
 *
 * A bulk stream (file data) may also ask for a larger receive window than Yamux's initial 256
 * KiB. Yamux grows a window only when it knows the connection's round trip, which it learns from
 * its keep-alive ping — off in tincan (src/net/node.ts) — so without this every stream stays at
 * 256 KiB in flight, and a sender waits for an update after every 256 KiB.
 */
import type { Stream } from "@libp2p/interface";

/** The part of a Yamux stream this touches (private in @chainsafe/libp2p-yamux 8). */
interface YamuxWindow {
  sendWindowUpdate(): void;
  recvWindow: number;
  readonly recvWindowCapacity: number;
  readonly maxStreamWindowSize: number;
}

function isYamuxWindow(stream: object): stream is YamuxWindow {
  const fields = stream as Partial<Record<keyof YamuxWindow, unknown>>;
  return typeof fields.sendWindowUpdate === "function" &&
    typeof fields.recvWindow === "number" && typeof fields.recvWindowCapacity === "number" &&
    typeof fields.maxStreamWindowSize === "number";
}

/**
 * Makes `stream` send its window updates only once half its receive window is used (call it
 * once the stream is open: its first update, which acknowledges it, is sent by then). With
 * `windowBytes`, the receive window becomes that (at most the muxer's maximum, 16 MiB by default)
 * at once, granted to the remote in one update: for a stream whose protocol bounds what its peer
 * sends ahead anyway (file data, with credit), so that the window, not the round trip, stops it.
 * @returns whether the stream was a Yamux stream (and is changed).
 * @throws RangeError when `windowBytes` is not a whole number.
 */
export function lazyWindowUpdates(stream: Stream, windowBytes?: number): boolean {
  if (windowBytes !== undefined && !Number.isSafeInteger(windowBytes)) {
    throw new RangeError(`a receive window must be a whole number of bytes, not ${windowBytes}`);
  }
  if (!isYamuxWindow(stream)) return false;
  const update = stream.sendWindowUpdate.bind(stream);
  if (windowBytes !== undefined && windowBytes > stream.recvWindow) {
    stream.recvWindow = Math.min(windowBytes, stream.maxStreamWindowSize);
    update(); // grants the difference now
  }
  stream.sendWindowUpdate = () => {
    if (stream.recvWindowCapacity * 2 >= stream.recvWindow) return; // more than half left
    update();
  };
  return true;
}
