/**
 * Reads the password: from TINCAN_PASSWORD when set, else from the terminal without echo, edited
 * by character (Backspace removes the last character the user sees, however many bytes it is).
 * The password is never logged or printed.
 */
import { UsageError } from "../errors.ts";
import type { CliIO } from "./io.ts";
import type { Env } from "./peer_args.ts";

/** The longest password accepted from the terminal, in UTF-8 bytes; more input is ignored. */
export const MAX_PASSWORD_BYTES = 1024;

/**
 * When the prompt is drawn again while it waits, in ms after it was first shown: on a first run
 * Deno's npm download progress can clear the line the prompt is on a moment after the program
 * started, which left a silent, hidden prompt. Redrawing is harmless (nothing typed is echoed).
 */
export const PROMPT_REDRAW_MS: readonly number[] = [250, 1000, 3000];

/** What reading a password uses: the environment, stdin and stderr (tests pass stubs). */
export interface PasswordSource {
  readonly env: Env;
  readonly io: Pick<CliIO, "stdin" | "errStream">;
  /** When to redraw the prompt (default PROMPT_REDRAW_MS). */
  readonly redrawMs?: readonly number[];
}

/**
 * Returns the password for `username`. With `confirm`, asks twice and requires a match.
 * @throws UsageError when there is no TINCAN_PASSWORD and no terminal, the password is empty, the
 * entries differ, or the user cancels with Ctrl-C / Ctrl-D.
 */
export async function readPassword(
  source: PasswordSource,
  username: string,
  options: { confirm?: boolean } = {},
): Promise<string> {
  const fromEnv = source.env("TINCAN_PASSWORD");
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const { io } = source;
  if (!io.stdin.isTerminal()) {
    throw new UsageError("no password: set TINCAN_PASSWORD or run in a terminal");
  }
  const redrawMs = source.redrawMs ?? PROMPT_REDRAW_MS;
  const password = await promptHidden(io, `Password for ${username}: `, redrawMs);
  if (password === "") throw new UsageError("the password is empty");
  if (options.confirm && await promptHidden(io, "Repeat the password: ", redrawMs) !== password) {
    throw new UsageError("the two passwords differ");
  }
  return password;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const encoder = new TextEncoder();

/** `text` without its last grapheme (a letter with its accents, an emoji with its modifiers). */
export function dropLastGrapheme(text: string): string {
  let last = 0;
  for (const { index } of segmenter.segment(text)) last = index;
  return text.slice(0, last);
}

/**
 * Shows `prompt`, reads one line in raw mode (no echo) and returns it; the prompt is drawn again
 * (start of line, line cleared) at each of `redrawMs` until the line ends.
 */
async function promptHidden(
  io: PasswordSource["io"],
  prompt: string,
  redrawMs: readonly number[],
): Promise<string> {
  io.errStream.write(prompt);
  const timers = redrawMs.map((ms) =>
    setTimeout(() => io.errStream.write(`\r\x1b[2K${prompt}`), ms)
  );
  io.stdin.setRaw(true);
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64);
  let text = "";
  let bytes = 0;
  try {
    while (true) {
      const n = await io.stdin.read(buffer);
      if (n === null) return text;
      for (const char of decoder.decode(buffer.subarray(0, n), { stream: true })) {
        if (char === "\r" || char === "\n") return text;
        if (char === "\x03" || char === "\x04") throw new UsageError("cancelled");
        if (char === "\x7f" || char === "\b") {
          text = dropLastGrapheme(text);
          bytes = encoder.encode(text).length;
          continue;
        }
        const size = encoder.encode(char).length;
        if (bytes + size > MAX_PASSWORD_BYTES) continue;
        text += char;
        bytes += size;
      }
    }
  } finally {
    timers.forEach(clearTimeout);
    io.stdin.setRaw(false);
    io.errStream.write("\n");
  }
}
