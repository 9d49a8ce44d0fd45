/**
 * The chat's input history across restarts: one file in the profile directory, readable by its
 * owner only (0600), one JSON string per line (so multi-line inputs survive). Every line the user
 * submitted is kept — commands and messages; the chat never reads a password through its editor —
 * except lines longer than MAX_SAVED_CHARS (pastes), and only the last MAX_INPUT_HISTORY are
 * loaded.
 */

/** Lines of input history kept. */
export const MAX_INPUT_HISTORY = 500;
/** Lines longer than this are not saved (a large paste is not worth recalling). */
export const MAX_SAVED_CHARS = 2000;
/** The file's name in the profile directory. */
export const INPUT_HISTORY_FILE = "input_history";
/** Largest history file read, in bytes (older lines beyond it are dropped). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** The last `max` lines saved in `path` (none when it does not exist or cannot be read). */
export async function loadInputHistory(path: string, max = MAX_INPUT_HISTORY): Promise<string[]> {
  let text: string;
  try {
    const file = await Deno.open(path, { read: true });
    try {
      const { size } = await file.stat();
      if (size > MAX_FILE_BYTES) await file.seek(size - MAX_FILE_BYTES, Deno.SeekMode.Start);
      const buffer = new Uint8Array(Math.min(size, MAX_FILE_BYTES));
      let filled = 0;
      while (filled < buffer.length) {
        const n = await file.read(buffer.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      text = new TextDecoder().decode(buffer.subarray(0, filled));
    } finally {
      file.close();
    }
  } catch {
    return [];
  }
  const lines: string[] = [];
  for (const raw of text.split("\n")) {
    try {
      const line: unknown = JSON.parse(raw);
      if (typeof line === "string" && line !== "") lines.push(line);
    } catch {
      // a partial first line (the file was read from its middle) or damage: skipped
    }
  }
  if (lines.length > max * 2) await rewrite(path, lines.slice(-max));
  return lines.slice(-max);
}

/** Appends `line` to the history in `path` unless it is too long; errors are returned, not thrown. */
export async function saveInputLine(path: string, line: string): Promise<Error | undefined> {
  if (line.length > MAX_SAVED_CHARS || line.trim() === "") return undefined;
  try {
    await Deno.writeTextFile(path, JSON.stringify(line) + "\n", { append: true, mode: 0o600 });
    await Deno.chmod(path, 0o600).catch(() => {});
    return undefined;
  } catch (err: unknown) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

async function rewrite(path: string, lines: readonly string[]): Promise<void> {
  const text = lines.map((l) => JSON.stringify(l) + "\n").join("");
  await Deno.writeTextFile(path, text, { mode: 0o600 }).catch(() => {});
}
