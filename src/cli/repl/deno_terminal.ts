/** The process's terminal as the line editor's TerminalPort: stdin raw, stdout, its size. */
import type { CliInput } from "../io.ts";
import type { TerminalPort } from "./terminal.ts";

const encoder = new TextEncoder();

/** Writes all of `bytes` to stdout (a terminal may take a write in parts). */
function writeAll(bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
}

/** The terminal on `input` (the CLI's stdin) and Deno.stdout; resizes come as SIGWINCH. */
export function denoTerminal(input: CliInput): TerminalPort {
  return {
    input,
    write: (text) => writeAll(encoder.encode(text)),
    size: () => Deno.consoleSize(),
    onResize(listener) {
      if (Deno.build.os === "windows") return () => {};
      Deno.addSignalListener("SIGWINCH", listener);
      return () => Deno.removeSignalListener("SIGWINCH", listener);
    },
  };
}
