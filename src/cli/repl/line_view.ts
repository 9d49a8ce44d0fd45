/** The REPL on a pipe (node:readline without a terminal): plain lines in and out. */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { View } from "./view.ts";

/** The REPL on a pipe: one line in, plain lines out, the prompt after each line. */
export function lineView(
  input: Readable,
  output: Writable,
  prompt: () => string,
  onLine: (line: string) => void,
  onClose: () => void,
): View {
  const rl = createInterface({ input, output, terminal: false });
  let open = true;
  const refresh = () => rl.setPrompt(prompt());
  rl.on("line", (line: string) => {
    onLine(line);
    if (open) {
      refresh();
      rl.prompt();
    }
  });
  rl.on("close", () => {
    open = false;
    onClose();
  });
  refresh();
  rl.prompt();
  return {
    print: (text) => void output.write(text + "\n"),
    refresh,
    signal: () => {},
    clear: () => {},
    close() {
      if (!open) return;
      open = false;
      rl.close();
    },
  };
}
