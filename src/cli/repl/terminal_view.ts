/** The REPL on a terminal: tincan's line editor with its status line and input history. */
import { MAX_TEXT_BYTES } from "../peer_args.ts";
import { loadInputHistory, MAX_INPUT_HISTORY } from "./input_history.ts";
import { type TerminalPort, TerminalUI } from "./terminal.ts";
import type { View } from "./view.ts";

/** What the terminal view needs on top of the editor's handlers. */
export type TerminalViewHandlers = ConstructorParameters<typeof TerminalUI>[1];

/** The REPL on a terminal: the line editor and status line; the input history loaded first. */
export function terminalView(
  port: TerminalPort,
  handlers: TerminalViewHandlers,
  historyFile: string | undefined,
): View {
  const pending: string[] = [];
  let ui: TerminalUI | undefined;
  let stopped = false;
  const start = (history: readonly string[]) => {
    if (stopped) return;
    ui = new TerminalUI(port, handlers, {
      maxChars: MAX_TEXT_BYTES,
      history,
      maxHistory: MAX_INPUT_HISTORY,
    });
    ui.start();
    for (const text of pending.splice(0)) ui.print(text);
  };
  if (historyFile) void loadInputHistory(historyFile).then(start, () => start([]));
  else start([]);
  return {
    print(text) {
      if (ui) ui.print(text);
      else pending.push(text);
    },
    refresh: () => ui?.redraw(),
    signal: (text) => ui?.signal(text),
    clear: () => ui?.clear(),
    close() {
      stopped = true;
      ui?.stop();
      for (const text of pending.splice(0)) port.write(text.replaceAll("\n", "\r\n") + "\r\n");
    },
  };
}
