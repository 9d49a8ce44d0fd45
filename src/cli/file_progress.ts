/** Draws file-transfer progress bars on a terminal (stderr), redrawn in place at most 10×/s. */
import type { FileEvent } from "../peer/files/events.ts";
import { formatProgress, RateMeter } from "./progress.ts";

/** Redraw interval of a progress bar. */
const REDRAW_MS = 100;

/**
 * A file-event listener that draws one progress bar per running transfer with `write` (raw text,
 * no newline added): `\r` + the line while it runs, a newline when it ends.
 */
export function progressBars(
  write: (text: string) => void,
  now: () => number = Date.now,
): (event: FileEvent) => void {
  const bars = new Map<string, { meter: RateMeter; drawn: number; done: number }>();
  return (event) => {
    const { transfer } = event;
    const label = `${transfer.outgoing ? "→" : "←"} ${transfer.peer} ${transfer.name}`;
    if (event.type === "file-started") {
      const meter = new RateMeter();
      meter.add(now(), event.fromByte);
      bars.set(transfer.id, { meter, drawn: 0, done: event.fromByte });
      return;
    }
    const bar = bars.get(transfer.id);
    if (bar === undefined) return;
    const draw = (doneBytes: number) =>
      write(
        "\r\x1b[2K" +
          formatProgress({ label, doneBytes, totalBytes: transfer.size, rate: bar.meter.rate() }),
      );
    if (event.type === "file-progress") {
      const at = now();
      bar.meter.add(at, event.doneBytes);
      bar.done = event.doneBytes;
      if (at - bar.drawn < REDRAW_MS && event.doneBytes < transfer.size) return;
      bar.drawn = at;
      draw(event.doneBytes);
    } else if (event.type !== "file-offered" && event.type !== "file-accepted") {
      // A complete transfer ends its bar at 100 %, even when the last redraw was skipped.
      if (event.type === "file-complete" && bar.done < transfer.size) draw(transfer.size);
      write("\n");
      bars.delete(transfer.id);
    }
  };
}
