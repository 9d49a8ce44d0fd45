/**
 * Terminal input bytes → key events, as a pure state machine (no I/O): UTF-8 split across reads,
 * CSI (`ESC [ … final`) and SS3 (`ESC O x`) sequences, Alt as an ESC prefix, control characters,
 * and bracketed paste (`ESC[200~ … ESC[201~`) collected into one event. Printable characters that
 * arrive together become one text event, so a paste without bracketing is handled in runs, not
 * one character at a time. Every step is linear in the bytes fed.
 */

/** One thing the user did at the keyboard. */
export type KeyEvent =
  /** Printable characters typed (or pasted without bracketing), in order. */
  | { readonly type: "text"; readonly text: string }
  /**
   * A bracketed paste: its text with line ends as "\n"; `truncated` when it was longer than the
   * decoder keeps (the rest was dropped).
   */
  | { readonly type: "paste"; readonly text: string; readonly truncated: boolean }
  /**
   * A key: "enter", "tab", "backspace", "delete", "insert", "escape", "up", "down", "left",
   * "right", "home", "end", "pageup", "pagedown", "shift-tab", "f1"…"f4", "ctrl-<letter>", or a
   * printable character when `alt` is held.
   */
  | { readonly type: "key"; readonly name: string; readonly alt: boolean; readonly ctrl: boolean };

/** Turns bracketed paste on (sent when the editor starts). */
export const BRACKETED_PASTE_ON = "\x1b[?2004h";
/** Turns bracketed paste off (sent on exit). */
export const BRACKETED_PASTE_OFF = "\x1b[?2004l";

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";
/** An unfinished escape sequence longer than this is dropped (it is not one a key sends). */
const MAX_SEQUENCE = 32;

const CSI_FINAL: Readonly<Record<string, string>> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  Z: "shift-tab",
  P: "f1",
  Q: "f2",
  R: "f3",
  S: "f4",
};

const TILDE: Readonly<Record<string, string>> = {
  "1": "home",
  "2": "insert",
  "3": "delete",
  "4": "end",
  "5": "pageup",
  "6": "pagedown",
  "7": "home",
  "8": "end",
};

/** A key event. */
export type Key = Extract<KeyEvent, { type: "key" }>;

const key = (name: string, alt = false, ctrl = false): Key => ({
  type: "key",
  name,
  alt,
  ctrl,
});

/** Decodes one terminal's input; feed it every read, in order. */
export class KeyDecoder {
  readonly #utf8 = new TextDecoder("utf-8", { fatal: false });
  readonly #maxPaste: number;
  /** The start of an escape sequence not complete yet. */
  #pending = "";
  /** Inside a bracketed paste: its text so far. */
  #paste: string[] | undefined;
  #pasteLength = 0;
  #pasteTruncated = false;

  /** A decoder keeping at most `maxPasteChars` UTF-16 code units of one paste. */
  constructor(maxPasteChars: number) {
    this.#maxPaste = maxPasteChars;
  }

  /** Whether a bracketed paste has started and not ended. */
  get inPaste(): boolean {
    return this.#paste !== undefined;
  }

  /** Whether a lone ESC (or the start of a sequence) waits for more bytes; see flush(). */
  get pending(): boolean {
    return this.#pending !== "";
  }

  /** The events in `bytes` (and what was pending from before). */
  feed(bytes: Uint8Array): KeyEvent[] {
    const text = this.#pending + this.#utf8.decode(bytes, { stream: true });
    this.#pending = "";
    const events: KeyEvent[] = [];
    this.#parse(text, events);
    return events;
  }

  /**
   * Ends what waits for more bytes: a lone ESC is the Escape key (call it when no byte followed
   * for a moment).
   */
  flush(): KeyEvent[] {
    if (this.#pending === "" || this.#paste !== undefined) return [];
    const pending = this.#pending;
    this.#pending = "";
    if (pending === "\x1b") return [key("escape")];
    const events: KeyEvent[] = [key("escape")];
    this.#parse(pending.slice(1), events);
    return events;
  }

  #parse(text: string, events: KeyEvent[]): void {
    let i = 0;
    let run = -1; // start of a run of printable characters
    const endRun = (at: number) => {
      if (run >= 0 && at > run) events.push({ type: "text", text: text.slice(run, at) });
      run = -1;
    };
    while (i < text.length) {
      if (this.#paste !== undefined) {
        i = this.#pasteFrom(text, i, events);
        continue;
      }
      const c = text.charCodeAt(i);
      if (c >= 0x20 && c !== 0x7f) {
        if (run < 0) run = i;
        i++;
        continue;
      }
      endRun(i);
      if (c !== 0x1b) {
        const control = controlKey(c);
        if (control) events.push(control);
        i++;
        continue;
      }
      const consumed = this.#escape(text, i, events);
      if (consumed === 0) {
        this.#pending = text.slice(i);
        return;
      }
      i += consumed;
    }
    endRun(i);
  }

  /** Parses the escape sequence at `text[at]`; the characters it took, or 0 when incomplete. */
  #escape(text: string, at: number, events: KeyEvent[]): number {
    const next = text[at + 1];
    if (next === undefined) return 0;
    if (next === "[" || next === "O") {
      let end = at + 2;
      if (next === "[") {
        while (end < text.length && isCsiMiddle(text.charCodeAt(end))) end++;
      }
      if (end >= text.length) return end - at > MAX_SEQUENCE ? text.length - at : 0;
      const final = text[end]!;
      const body = text.slice(at, end + 1);
      if (body === PASTE_START) {
        this.#paste = [];
        this.#pasteLength = 0;
        this.#pasteTruncated = false;
      } else {
        const decoded = next === "[" ? csiKey(text.slice(at + 2, end), final) : ss3Key(final);
        if (decoded) events.push(decoded);
      }
      return end + 1 - at;
    }
    if (next === "\x1b") {
      events.push(key("escape"));
      return 1;
    }
    const c = next.charCodeAt(0);
    if (c >= 0x20 && c !== 0x7f) {
      // Alt plus a character: one code point (a surrogate pair stays whole).
      const ch = String.fromCodePoint(text.codePointAt(at + 1)!);
      events.push(key(ch, true));
      return 1 + ch.length;
    }
    const control = controlKey(c);
    events.push(control ? { ...control, alt: true } : key("escape"));
    return 2;
  }

  /** Takes paste text from `text[at]` up to the end marker; returns where it stopped. */
  #pasteFrom(text: string, at: number, events: KeyEvent[]): number {
    const end = text.indexOf(PASTE_END, at);
    const interrupt = text.indexOf("\x03", at);
    if (interrupt >= 0 && (end < 0 || interrupt < end)) {
      // Ctrl-C always reaches the chat, even inside a paste that never ends.
      this.#keep(text.slice(at, interrupt));
      this.#endPaste(events);
      events.push(key("ctrl-c", false, true));
      return interrupt + 1;
    }
    if (end >= 0) {
      this.#keep(text.slice(at, end));
      this.#endPaste(events);
      return end + PASTE_END.length;
    }
    // Keep a tail that may be the start of the end marker for the next read.
    let tail = 0;
    for (let n = Math.min(PASTE_END.length - 1, text.length - at); n > 0; n--) {
      if (PASTE_END.startsWith(text.slice(text.length - n))) {
        tail = n;
        break;
      }
    }
    this.#keep(text.slice(at, text.length - tail));
    if (tail > 0) this.#pending = text.slice(text.length - tail);
    return text.length;
  }

  #keep(part: string): void {
    if (part === "") return;
    const room = this.#maxPaste - this.#pasteLength;
    if (room <= 0) {
      this.#pasteTruncated = true;
      return;
    }
    const kept = part.length > room ? part.slice(0, room) : part;
    if (kept.length < part.length) this.#pasteTruncated = true;
    this.#paste!.push(kept);
    this.#pasteLength += kept.length;
  }

  #endPaste(events: KeyEvent[]): void {
    const text = this.#paste!.join("").replace(/\r\n?/g, "\n");
    events.push({ type: "paste", text, truncated: this.#pasteTruncated });
    this.#paste = undefined;
    this.#pasteLength = 0;
  }
}

/** Parameter and intermediate bytes of a CSI sequence (0x20–0x3f). */
function isCsiMiddle(c: number): boolean {
  return c >= 0x20 && c <= 0x3f;
}

function controlKey(c: number): Key | undefined {
  switch (c) {
    case 0x0d:
    case 0x0a:
      return key("enter");
    case 0x09:
      return key("tab");
    case 0x7f:
    case 0x08:
      return key("backspace");
    case 0x00:
      return undefined;
  }
  if (c >= 0x01 && c <= 0x1a) return key(`ctrl-${String.fromCharCode(c + 0x60)}`, false, true);
  return undefined;
}

function csiKey(params: string, final: string): KeyEvent | undefined {
  const [first = "", modifier = "1"] = params.split(";");
  const bits = Math.max(0, Number(modifier) - 1);
  const alt = (bits & 2) !== 0;
  const ctrl = (bits & 4) !== 0;
  const name = final === "~" ? TILDE[first] : CSI_FINAL[final];
  return name === undefined ? undefined : key(name, alt, ctrl);
}

function ss3Key(final: string): KeyEvent | undefined {
  const name = CSI_FINAL[final];
  return name === undefined ? undefined : key(name);
}
