/**
 * Reads the password: from TINCAN_PASSWORD when set, else from the terminal without echo.
 * The password is never logged or printed.
 */
import { UsageError } from "../errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_PASSWORD_BYTES = 1024;

/**
 * Returns the password for `username`. With `confirm`, asks twice and requires a match.
 * @throws UsageError when there is no TINCAN_PASSWORD and no terminal, or the entries differ.
 */
export async function readPassword(
  username: string,
  options: { confirm?: boolean } = {},
): Promise<string> {
  const fromEnv = Deno.env.get("TINCAN_PASSWORD");
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError("no password: set TINCAN_PASSWORD or run in a terminal");
  }
  const password = await promptHidden(`Password for ${username}: `);
  if (password === "") throw new UsageError("the password is empty");
  if (options.confirm && await promptHidden("Repeat the password: ") !== password) {
    throw new UsageError("the two passwords differ");
  }
  return password;
}

async function promptHidden(prompt: string): Promise<string> {
  Deno.stderr.writeSync(encoder.encode(prompt));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buffer = new Uint8Array(64);
  try {
    while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      for (const byte of buffer.subarray(0, n)) {
        if (byte === 0x0d || byte === 0x0a) return decoder.decode(new Uint8Array(bytes));
        if (byte === 0x03 || byte === 0x04) throw new UsageError("cancelled");
        if (byte === 0x7f || byte === 0x08) bytes.pop();
        else if (bytes.length < MAX_PASSWORD_BYTES) bytes.push(byte);
      }
    }
    return decoder.decode(new Uint8Array(bytes));
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}
