/**
 * The dashboard's live stream: Server-Sent Events, one `event:` name and one JSON `data:` line
 * per event, fanned out to every open stream. A stream that falls MAX_QUEUED events behind is
 * closed (the browser reconnects); a comment line every KEEPALIVE_MS keeps proxies from
 * timing it out.
 */

/** Events one slow stream may have queued before it is closed. */
export const MAX_QUEUED = 1000;
/** Streams open at once at most; the oldest is closed first. */
export const MAX_STREAMS = 50;
const KEEPALIVE_MS = 15_000;

const encoder = new TextEncoder();

/** One event in the stream's wire form. */
export function formatEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The open event streams. */
export class EventHub {
  readonly #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  readonly #keepalive: ReturnType<typeof setInterval>;

  constructor() {
    this.#keepalive = setInterval(() => this.#send(": keepalive\n\n"), KEEPALIVE_MS);
  }

  /** Sends `data` as `event` to every stream. */
  publish(event: string, data: unknown): void {
    this.#send(formatEvent(event, data));
  }

  /** A new stream for one client, starting with `first` (its snapshot). */
  open(first: { event: string; data: unknown }): ReadableStream<Uint8Array> {
    let self: ReadableStreamDefaultController<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        self = controller;
        this.#streams.add(controller);
        while (this.#streams.size > MAX_STREAMS) {
          const oldest = this.#streams.values().next().value;
          if (oldest === undefined) break;
          this.#close(oldest);
        }
        controller.enqueue(encoder.encode(formatEvent(first.event, first.data)));
      },
      cancel: () => {
        if (self) this.#streams.delete(self);
      },
    });
  }

  /** Closes every stream and stops the keepalive. */
  stop(): void {
    clearInterval(this.#keepalive);
    for (const controller of [...this.#streams]) this.#close(controller);
  }

  #send(text: string): void {
    const bytes = encoder.encode(text);
    for (const controller of [...this.#streams]) {
      if ((controller.desiredSize ?? 0) < -MAX_QUEUED) {
        this.#close(controller);
        continue;
      }
      controller.enqueue(bytes);
    }
  }

  #close(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#streams.delete(controller);
    try {
      controller.close();
    } catch {
      // already closed by the client
    }
  }
}
