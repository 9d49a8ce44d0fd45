/** A terminal for tests: input bytes queued by the test, output collected, a fixed size. */
import type { TerminalPort } from "../../../src/cli/repl/terminal.ts";

/** A TerminalPort the test types into and reads the output of. */
export class FakeTerminal implements TerminalPort {
  output = "";
  raw = false;
  columns = 80;
  readonly #queue: Uint8Array[] = [];
  #waiting: ((chunk: Uint8Array | null) => void) | undefined;
  #ended = false;

  readonly input = {
    isTerminal: () => true,
    setRaw: (raw: boolean) => {
      this.raw = raw;
    },
    read: (buffer: Uint8Array): Promise<number | null> => {
      const take = (chunk: Uint8Array | null) => {
        if (chunk === null) return null;
        const n = Math.min(chunk.length, buffer.length);
        buffer.set(chunk.subarray(0, n));
        if (n < chunk.length) this.#queue.unshift(chunk.subarray(n));
        return n;
      };
      const next = this.#queue.shift();
      if (next) return Promise.resolve(take(next));
      if (this.#ended) return Promise.resolve(null);
      return new Promise((resolve) => this.#waiting = (chunk) => resolve(take(chunk)));
    },
  };

  write(text: string): void {
    this.output += text;
  }

  size() {
    return { columns: this.columns, rows: 24 };
  }

  /** Queues `text` (or bytes) as typed input. */
  type(input: string | Uint8Array): void {
    const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(bytes);
    else this.#queue.push(bytes);
  }

  /** Ends the input (the terminal closed). */
  end(): void {
    this.#ended = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(null);
  }

  /** The output with escape sequences left out: what a reader would see, roughly. */
  text(): string {
    return this.output.replace(
      // deno-lint-ignore no-control-regex
      /\x1b\[[0-9;?]*[A-Za-z~]|\x1b\][^\x07]*\x07|\x1bP[^\x1b]*\x1b\\/g,
      "",
    );
  }
}
