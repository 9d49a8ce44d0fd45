/**
 * Paste handling in the chat's line editor: a bracketed paste of 1 KB, 10 KB and 100 KB, and the
 * same text without bracketing, taken through the key decoder (in 16 KiB reads, as the terminal
 * adapter reads), the editor and one render of the input area — against the raw baseline of just
 * decoding the same bytes as UTF-8 in the same run. Linear handling keeps the ratio flat as the
 * size grows.
 */
import { KeyDecoder } from "../src/cli/repl/key_decoder.ts";
import { editorStep, initialEditor, renderInput } from "../src/cli/repl/line_editor.ts";

/** Paste sizes measured, in bytes. */
export const PASTE_SIZES = [1024, 10 * 1024, 100 * 1024] as const;

/** Bytes the terminal adapter reads at once. */
const READ_BYTES = 16 * 1024;
/** Repetitions of each measurement; the median counts. */
const RUNS = 21;

/** Median milliseconds of one paste of each size: raw decoding, bracketed, unbracketed. */
export interface PasteResult {
  readonly bytes: number;
  readonly rawMs: number;
  readonly bracketedMs: number;
  readonly unbracketedMs: number;
}

const encoder = new TextEncoder();

/** A paste of `bytes` bytes: words and line breaks, like pasted prose or code. */
function pasteText(bytes: number): string {
  const line = "the quick brown fox jumps over the lazy dog 0123456789 ".repeat(2) + "\n";
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

function median(run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Feeds `data` through a decoder and the editor in reads, then renders the input once. */
function handle(data: Uint8Array, maxChars: number): void {
  const decoder = new KeyDecoder(maxChars);
  let state = initialEditor();
  const options = {
    maxChars,
    maxHistory: 10,
    complete: () => ({ start: 0, candidates: [] }),
  };
  for (let at = 0; at < data.length; at += READ_BYTES) {
    for (const event of decoder.feed(data.subarray(at, at + READ_BYTES))) {
      // A bare line break would submit: keep it in the line, as a bracketed paste does.
      const e = event.type === "key" && event.name === "enter"
        ? { type: "text" as const, text: "\n" }
        : event;
      state = editorStep(state, e, options).state;
    }
  }
  renderInput(state, "alice → bob> ", 120, 8);
}

/** Measures paste handling for every size in PASTE_SIZES. */
export function benchPaste(): PasteResult[] {
  return PASTE_SIZES.map((bytes) => {
    const text = pasteText(bytes);
    const plain = encoder.encode(text);
    const bracketed = encoder.encode(`\x1b[200~${text}\x1b[201~`);
    const maxChars = bytes * 2;
    const rawMs = median(() => {
      const decoder = new TextDecoder();
      for (let at = 0; at < plain.length; at += READ_BYTES) {
        decoder.decode(plain.subarray(at, at + READ_BYTES), { stream: true });
      }
    });
    return {
      bytes,
      rawMs,
      bracketedMs: median(() => handle(bracketed, maxChars)),
      unbracketedMs: median(() => handle(plain, maxChars)),
    };
  });
}
