/** What the REPL needs of its screen: a pipe (line_view.ts) or a terminal (terminal_view.ts). */

/** What the REPL needs of its screen, terminal or pipe. */
export interface View {
  /** Shows `text` (one or more lines) above the prompt. */
  print(text: string): void;
  /** The prompt or the status changed. */
  refresh(): void;
  /** Writes a bell or a notification escape. */
  signal(text: string): void;
  /** Clears the screen (Ctrl-L, /clear). */
  clear(): void;
  /** Stops reading input and gives the screen back. */
  close(): void;
}
