/**
 * The terminal side of the chat's line editor: raw mode, bracketed paste on while it runs (off on
 * exit), key events from the bytes read (key_decoder.ts), the editor's steps (line_editor.ts),
 * and drawing: printed lines above, then the input rows and the status line, redrawn by rows
 * that changed (frame.ts). Input is handled a bounded slice at a time with a pause for the event
 * loop after each (a paste never starves the network), and one redraw per slice.
 */
import type { CliInput } from "../io.ts";
import { drawFrame, eraseFrame, type Frame } from "./frame.ts";
import {
  BRACKETED_PASTE_OFF,
  BRACKETED_PASTE_ON,
  KeyDecoder,
  type KeyEvent,
} from "./key_decoder.ts";
import {
  type Completion,
  type EditorAction,
  type EditorState,
  editorStep,
  initialEditor,
  type InputView,
  renderInput,
} from "./line_editor.ts";
import { wrapLine } from "./wrap.ts";

/** The terminal: raw input, output, and its size. */
export interface TerminalPort {
  readonly input: CliInput;
  /** Writes `text` as it is. */
  write(text: string): void;
  /** Columns and rows. */
  size(): { readonly columns: number; readonly rows: number };
  /** Calls `listener` when the terminal is resized; returns what stops it. */
  onResize?(listener: () => void): () => void;
}

/** What the editor asks of the chat. */
export interface TerminalHandlers {
  /** The prompt before the input. */
  prompt(): string;
  /** The status line, for `width` columns, given the input rows not shown. */
  status(width: number, hidden: { above: number; below: number }): string;
  complete(before: string): Completion;
  /** The user pressed Enter. */
  submit(text: string): void;
  /** Whether to insert a bracketed paste (`truncated`: longer than the input holds). */
  acceptPaste(text: string, truncated: boolean): boolean;
  /** An editor action to show (bell, candidates, too long) or a key the editor left. */
  action(action: EditorAction): void;
  /** The input ended (the terminal closed). */
  end(): void;
}

/** Bytes read at once. */
const READ_BYTES = 16 * 1024;
/** Key events handled before the event loop gets a turn (a paste is one event). */
const EVENTS_PER_SLICE = 64;
/** How long a lone ESC waits for the rest of a sequence before it is the Escape key. */
const ESCAPE_WAIT_MS = 50;
/** Input rows shown at most; a longer input scrolls around the cursor. */
const MAX_INPUT_ROWS = 8;

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Options of the editor. */
export interface TerminalOptions {
  /** The longest input, in UTF-16 code units (a paste is cut there). */
  readonly maxChars: number;
  readonly history: readonly string[];
  readonly maxHistory: number;
}

/** The chat's terminal: start() it, print() above the input, stop() on exit. */
export class TerminalUI {
  readonly #port: TerminalPort;
  readonly #handlers: TerminalHandlers;
  readonly #options: TerminalOptions;
  readonly #decoder: KeyDecoder;
  #state: EditorState;
  #frame: Frame | undefined;
  #running = false;
  #escapeTimer: ReturnType<typeof setTimeout> | undefined;
  #stopResize: (() => void) | undefined;

  /** A terminal UI on `port`. */
  constructor(port: TerminalPort, handlers: TerminalHandlers, options: TerminalOptions) {
    this.#port = port;
    this.#handlers = handlers;
    this.#options = options;
    this.#decoder = new KeyDecoder(options.maxChars + 1);
    this.#state = initialEditor(options.history);
  }

  /** The input history, newest last. */
  get history(): readonly string[] {
    return this.#state.history;
  }

  /** Raw mode and bracketed paste on, the footer drawn, and input read until stop(). */
  start(): void {
    this.#running = true;
    this.#port.input.setRaw(true);
    this.#port.write(BRACKETED_PASTE_ON);
    this.#stopResize = this.#port.onResize?.(() => {
      this.#port.write(eraseFrame(this.#frame));
      this.#frame = undefined;
      this.redraw();
    });
    this.redraw();
    void this.#readLoop();
  }

  /** Leaves the terminal as it was: footer erased, bracketed paste off, raw mode off. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#escapeTimer);
    this.#stopResize?.();
    this.#port.write(eraseFrame(this.#frame) + BRACKETED_PASTE_OFF);
    this.#frame = undefined;
    try {
      this.#port.input.setRaw(false);
    } catch {
      // the terminal is gone
    }
  }

  /** Shows `text` (lines, wrapped to the width) above the input, then redraws the footer. */
  print(text: string): void {
    if (!this.#running) {
      this.#port.write(text.replaceAll("\n", "\r\n") + "\r\n");
      return;
    }
    const { columns } = this.#size();
    const rows = text.split("\n").flatMap((line) => wrapLine(line, columns));
    this.#port.write(eraseFrame(this.#frame) + rows.map((r) => `${r}\r\n`).join(""));
    this.#frame = undefined;
    this.redraw();
  }

  /** Writes `text` as it is (a bell, a notification escape) where it does not disturb the input. */
  signal(text: string): void {
    if (text !== "") this.#port.write(text);
  }

  /** Clears the screen (the scrollback stays) and redraws the footer at the top. */
  clear(): void {
    this.#port.write("\x1b[H\x1b[2J");
    this.#frame = undefined;
    this.redraw();
  }

  /** Redraws what changed in the input rows and the status line. */
  redraw(): void {
    if (!this.#running) return;
    const { columns } = this.#size();
    const view: InputView = renderInput(
      this.#state,
      this.#handlers.prompt(),
      columns,
      MAX_INPUT_ROWS,
    );
    const status = this.#handlers.status(columns, {
      above: view.hiddenAbove,
      below: view.hiddenBelow,
    });
    const frame: Frame = {
      rows: [...view.rows, status],
      cursorRow: view.cursorRow,
      cursorColumn: view.cursorColumn,
    };
    this.#port.write(drawFrame(this.#frame, frame));
    this.#frame = frame;
  }

  #size(): { columns: number; rows: number } {
    try {
      const size = this.#port.size();
      return { columns: Math.max(size.columns, 10), rows: size.rows };
    } catch {
      return { columns: 80, rows: 24 };
    }
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BYTES);
    while (this.#running) {
      let n: number | null;
      try {
        n = await this.#port.input.read(buffer);
      } catch {
        n = null;
      }
      if (!this.#running) return;
      if (n === null) {
        this.#handlers.end();
        return;
      }
      clearTimeout(this.#escapeTimer);
      await this.#handle(this.#decoder.feed(buffer.subarray(0, n)));
      if (this.#decoder.pending && !this.#decoder.inPaste) {
        this.#escapeTimer = setTimeout(
          () => void this.#handle(this.#decoder.flush()),
          ESCAPE_WAIT_MS,
        );
      }
    }
  }

  /** Runs `events` through the editor, a slice at a time, redrawing after each slice. */
  async #handle(events: readonly KeyEvent[]): Promise<void> {
    for (let at = 0; at < events.length && this.#running; at += EVENTS_PER_SLICE) {
      for (const event of events.slice(at, at + EVENTS_PER_SLICE)) {
        if (!this.#running) return;
        if (event.type === "paste" && !this.#handlers.acceptPaste(event.text, event.truncated)) {
          continue;
        }
        const { state, action } = editorStep(this.#state, event, {
          maxChars: this.#options.maxChars,
          maxHistory: this.#options.maxHistory,
          complete: (before) => this.#handlers.complete(before),
        });
        this.#state = state;
        if (action?.type === "submit") this.#handlers.submit(action.text);
        else if (action) this.#handlers.action(action);
      }
      this.redraw();
      if (at + EVENTS_PER_SLICE < events.length) await pause();
    }
    await pause();
  }
}
