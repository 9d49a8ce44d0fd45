/**
 * Yamux window updates for a long-lived stream of small frames, sent only once half the receive
 * window is used. @chainsafe/libp2p-yamux 8 answers every data frame it receives with a window
 * update frame of its own, so on the presence stream (a heartbeat and its answer every 20 s) each
 * side sent two frames for every one it meant — and on loopback each frame is a Noise seal, a
 * socket write and, at the other end, a read, an open and a Yamux dispatch. Go's and Rust's Yamux
 * update at half the window instead; the protocol leaves the timing to the receiver, and the
 * sender still never sends past the credit it has, so nothing else changes. The stream's own
 * `sendWindowUpdate` is wrapped on that one instance; a stream of another muxer (no such method,
 * or not the fields it needs) is left as it is.
 */
import type { Stream } from "@libp2p/interface";

/** The part of a Yamux stream this touches (private in @chainsafe/libp2p-yamux 8). */
interface YamuxWindow {
  sendWindowUpdate(): void;
  readonly recvWindow: number;
  readonly recvWindowCapacity: number;
}

function isYamuxWindow(stream: object): stream is YamuxWindow {
  const fields = stream as Partial<Record<keyof YamuxWindow, unknown>>;
  return typeof fields.sendWindowUpdate === "function" &&
    typeof fields.recvWindow === "number" && typeof fields.recvWindowCapacity === "number";
}

/**
 * Makes `stream` send its window updates only once half its receive window is used (call it
 * once the stream is open: its first update, which acknowledges it, is sent by then).
 * @returns whether the stream was a Yamux stream (and is changed).
 */
export function lazyWindowUpdates(stream: Stream): boolean {
  if (!isYamuxWindow(stream)) return false;
  const update = stream.sendWindowUpdate.bind(stream);
  stream.sendWindowUpdate = () => {
    if (stream.recvWindowCapacity * 2 >= stream.recvWindow) return; // more than half left
    update();
  };
  return true;
}
