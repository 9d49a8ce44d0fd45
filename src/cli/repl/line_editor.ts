/**
 * The chat's line editor as a pure state machine: a key event and the current state in, the next
 * state and what the chat should do out (submit a line, ring the bell, list completions). No I/O:
 * the terminal adapter (terminal.ts) reads keys and draws `renderInput`'s rows. Every step is
 * linear in the length of the line, so a paste of any size costs one pass, not one per character.
 *
 * Keys: Enter submits; Alt-Enter inserts a line break (a paste may bring its own); ←/→, Home/End
 * (Ctrl-A/E), Ctrl-←/→ (Alt-B/F) by word; Backspace, Delete (Ctrl-D on a non-empty line), Ctrl-W
 * (word before the cursor), Ctrl-U / Ctrl-K (to the start / end); ↑/↓ move between the lines of a
 * multi-line input, else through the input history; Tab completes.
 */
import { codePointWidth, visibleWidth } from "./char_width.ts";
import type { KeyEvent } from "./key_decoder.ts";

/** The line being edited and the input history. */
export interface EditorState {
  readonly text: string;
  /** Cursor position: a UTF-16 index into `text`, always at a code point boundary. */
  readonly cursor: number;
  /** Lines submitted before, oldest first. */
  readonly history: readonly string[];
  /** The history line shown; `history.length` while editing a new line. */
  readonly historyAt: number;
  /** The new line, kept while browsing the history. */
  readonly draft: string;
}

/** What the chat should do after a key. */
export type EditorAction =
  /** The user pressed Enter on this text. */
  | { readonly type: "submit"; readonly text: string }
  /** Nothing to do for that key here (start of line, no completion …). */
  | { readonly type: "bell" }
  /** Tab found several completions and nothing more in common: show them. */
  | { readonly type: "candidates"; readonly list: readonly string[] }
  /** Text was not (all) inserted: the line would be longer than `max` characters. */
  | { readonly type: "too-long"; readonly max: number }
  /** Not an editing key (Ctrl-C, Alt-1 …): the chat's to handle. */
  | { readonly type: "unhandled"; readonly event: KeyEvent };

/** Where completions of the word before the cursor start, and what they are. */
export interface Completion {
  /** Index in the text where the word being completed starts. */
  readonly start: number;
  readonly candidates: readonly string[];
}

/** What the editor needs from the chat. */
export interface EditorOptions {
  /** The longest line, in UTF-16 code units. */
  readonly maxChars: number;
  /** Lines of history kept. */
  readonly maxHistory: number;
  /** Completions for `before` (the text up to the cursor). */
  complete(before: string): Completion;
}

/** One step's result. */
export interface EditorStep {
  readonly state: EditorState;
  readonly action?: EditorAction;
}

/** Spaces a pasted or typed tab becomes (a tab has no fixed width in a chat line). */
const TAB = "    ";

/** An empty line with `history`. */
export function initialEditor(history: readonly string[] = []): EditorState {
  return { text: "", cursor: 0, history, historyAt: history.length, draft: "" };
}

/** Applies `event` to `state`. */
export function editorStep(
  state: EditorState,
  event: KeyEvent,
  options: EditorOptions,
): EditorStep {
  if (event.type === "text") return insert(state, clean(event.text), options);
  if (event.type === "paste") return insert(state, clean(event.text), options);
  const { name, alt, ctrl } = event;
  const unhandled: EditorStep = { state, action: { type: "unhandled", event } };
  const word = wordMotion(event);
  if (word === "left") return move(state, wordLeft(state.text, state.cursor));
  if (word === "right") return move(state, wordRight(state.text, state.cursor));
  if (alt && !ctrl) {
    if (name === "enter") return insert(state, "\n", options);
    if (name === "backspace") return cut(state, wordLeft(state.text, state.cursor), state.cursor);
    if (name === "d") return cut(state, state.cursor, wordRight(state.text, state.cursor));
    return unhandled;
  }
  switch (name) {
    case "enter":
      return submit(state, options);
    case "left":
      return move(state, prevBoundary(state.text, state.cursor));
    case "right":
      return move(state, nextBoundary(state.text, state.cursor));
    case "home":
    case "ctrl-a":
      return move(state, lineStart(state.text, state.cursor));
    case "end":
    case "ctrl-e":
      return move(state, lineEnd(state.text, state.cursor));
    case "backspace":
    case "ctrl-h":
      return cut(state, prevBoundary(state.text, state.cursor), state.cursor);
    case "delete":
      return cut(state, state.cursor, nextBoundary(state.text, state.cursor));
    case "ctrl-d":
      return state.text === ""
        ? unhandled
        : cut(state, state.cursor, nextBoundary(state.text, state.cursor));
    case "ctrl-w":
      return cut(state, wordLeft(state.text, state.cursor), state.cursor);
    case "ctrl-u":
      return cut(state, lineStart(state.text, state.cursor), state.cursor);
    case "ctrl-k":
      return cut(state, state.cursor, lineEnd(state.text, state.cursor));
    case "up":
    case "ctrl-p":
      return up(state);
    case "down":
    case "ctrl-n":
      return down(state);
    case "tab":
      return complete(state, options);
  }
  return unhandled;
}

/** Which way a key moves by a word: Alt-B/F, Alt-←/→, Ctrl-←/→. */
function wordMotion(
  key: { name: string; alt: boolean; ctrl: boolean },
): "left" | "right" | undefined {
  if (!key.alt && !key.ctrl) return undefined;
  if (key.name === "left" || (key.alt && !key.ctrl && key.name === "b")) return "left";
  if (key.name === "right" || (key.alt && !key.ctrl && key.name === "f")) return "right";
  return undefined;
}

/** Typed or pasted text as the line keeps it: tabs as spaces, no other control characters. */
function clean(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\t/g, TAB).replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, "");
}

function insert(state: EditorState, text: string, options: EditorOptions): EditorStep {
  if (text === "") return { state };
  const room = options.maxChars - state.text.length;
  let kept = text.length > room ? text.slice(0, Math.max(0, room)) : text;
  // Never split a surrogate pair.
  if (kept.length > 0 && isHighSurrogate(kept.charCodeAt(kept.length - 1))) {
    kept = kept.slice(0, -1);
  }
  const next = edit(state, state.cursor, state.cursor, kept);
  if (kept.length < text.length) {
    return { state: next, action: { type: "too-long", max: options.maxChars } };
  }
  return { state: next };
}

/** `state` with text[from, to) replaced by `text`, the cursor after it. */
function edit(state: EditorState, from: number, to: number, text: string): EditorState {
  return {
    ...state,
    text: state.text.slice(0, from) + text + state.text.slice(to),
    cursor: from + text.length,
  };
}

function cut(state: EditorState, from: number, to: number): EditorStep {
  if (from === to) return { state, action: { type: "bell" } };
  return { state: edit(state, from, to, "") };
}

function move(state: EditorState, to: number): EditorStep {
  if (to === state.cursor) return { state };
  return { state: { ...state, cursor: to } };
}

function submit(state: EditorState, options: EditorOptions): EditorStep {
  const text = state.text;
  let history = state.history;
  if (text.trim() !== "" && history.at(-1) !== text) {
    history = [...history, text].slice(-options.maxHistory);
  }
  return {
    state: { text: "", cursor: 0, history, historyAt: history.length, draft: "" },
    action: { type: "submit", text },
  };
}

function up(state: EditorState): EditorStep {
  const start = lineStart(state.text, state.cursor);
  if (start > 0) {
    const prevStart = lineStart(state.text, start - 1);
    const column = state.cursor - start;
    return move(state, Math.min(prevStart + column, start - 1));
  }
  if (state.historyAt === 0) return { state, action: { type: "bell" } };
  const draft = state.historyAt === state.history.length ? state.text : state.draft;
  const text = state.history[state.historyAt - 1]!;
  return { state: { ...state, text, cursor: text.length, historyAt: state.historyAt - 1, draft } };
}

function down(state: EditorState): EditorStep {
  const end = lineEnd(state.text, state.cursor);
  if (end < state.text.length) {
    const column = state.cursor - lineStart(state.text, state.cursor);
    const nextEnd = lineEnd(state.text, end + 1);
    return move(state, Math.min(end + 1 + column, nextEnd));
  }
  if (state.historyAt >= state.history.length) return { state, action: { type: "bell" } };
  const at = state.historyAt + 1;
  const text = at === state.history.length ? state.draft : state.history[at]!;
  return { state: { ...state, text, cursor: text.length, historyAt: at } };
}

function complete(state: EditorState, options: EditorOptions): EditorStep {
  const { start, candidates } = options.complete(state.text.slice(0, state.cursor));
  if (candidates.length === 0) return { state, action: { type: "bell" } };
  const word = state.text.slice(start, state.cursor);
  if (candidates.length === 1) {
    const after = state.text[state.cursor] === " " ? "" : " ";
    return { state: edit(state, start, state.cursor, candidates[0]! + after) };
  }
  const common = commonPrefix(candidates);
  if (common.length > word.length) return { state: edit(state, start, state.cursor, common) };
  return { state, action: { type: "candidates", list: candidates } };
}

function commonPrefix(words: readonly string[]): string {
  let prefix = words[0] ?? "";
  for (const w of words) {
    let n = 0;
    while (n < prefix.length && n < w.length && prefix[n]!.toLowerCase() === w[n]!.toLowerCase()) {
      n++;
    }
    prefix = prefix.slice(0, n);
  }
  return prefix;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

function prevBoundary(text: string, at: number): number {
  if (at <= 0) return 0;
  return at >= 2 && isLowSurrogate(text.charCodeAt(at - 1)) &&
      isHighSurrogate(text.charCodeAt(at - 2))
    ? at - 2
    : at - 1;
}

function nextBoundary(text: string, at: number): number {
  if (at >= text.length) return text.length;
  return isHighSurrogate(text.charCodeAt(at)) && isLowSurrogate(text.charCodeAt(at + 1))
    ? at + 2
    : at + 1;
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf("\n", at - 1) + 1;
}

function lineEnd(text: string, at: number): number {
  const end = text.indexOf("\n", at);
  return end < 0 ? text.length : end;
}

const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);

function wordLeft(text: string, at: number): number {
  let i = at;
  while (i > 0 && isSpace(text[i - 1])) i--;
  while (i > 0 && !isSpace(text[i - 1])) i--;
  return i;
}

function wordRight(text: string, at: number): number {
  let i = at;
  while (i < text.length && isSpace(text[i])) i++;
  while (i < text.length && !isSpace(text[i])) i++;
  return i;
}

/** The input area as drawn: terminal rows, where the cursor is, and rows not shown. */
export interface InputView {
  /** At most `maxRows` rows, each at most `width` columns (the prompt on the first row). */
  readonly rows: readonly string[];
  /** The cursor's row in `rows` and its column. */
  readonly cursorRow: number;
  readonly cursorColumn: number;
  /** Rows of a long input left out above and below the window shown. */
  readonly hiddenAbove: number;
  readonly hiddenBelow: number;
}

/** Bidirectional overrides are shown as U+FFFD, so the line cannot be drawn reordered. */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;
const isBidi = (cp: number) => (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);

/**
 * The input area for `state` after `prompt` (which may carry colours), wrapped at `width`
 * columns (wide characters never split), showing at most `maxRows` rows around the cursor.
 */
export function renderInput(
  state: EditorState,
  prompt: string,
  width: number,
  maxRows: number,
): InputView {
  const columns = Math.max(width, 4);
  const promptWidth = Math.min(visibleWidth(prompt), columns - 1);
  /** Where each row starts in the text. */
  const starts: number[] = [0];
  const { text, cursor } = state;
  let col = promptWidth;
  let cursorRow = -1;
  let cursorColumn = 0;
  let i = 0;
  while (i < text.length) {
    if (i === cursor) {
      cursorRow = starts.length - 1;
      cursorColumn = col;
    }
    const cp = text.codePointAt(i)!;
    const size = cp > 0xffff ? 2 : 1;
    if (cp === 0x0a) {
      starts.push(i + 1);
      col = 0;
      i += 1;
      continue;
    }
    const w = isBidi(cp) ? 1 : codePointWidth(cp);
    if (col + w > columns) {
      starts.push(i);
      col = 0;
      if (i === cursor) {
        cursorRow = starts.length - 1;
        cursorColumn = 0;
      }
    }
    col += w;
    i += size;
  }
  if (cursorRow < 0) {
    if (col >= columns) {
      starts.push(text.length);
      col = 0;
    }
    cursorRow = starts.length - 1;
    cursorColumn = col;
  }
  const total = starts.length;
  const shown = Math.max(1, maxRows);
  const first = Math.max(0, Math.min(cursorRow - shown + 1, total - shown));
  const last = Math.min(total, first + shown);
  const rows: string[] = [];
  for (let r = first; r < last; r++) {
    const from = starts[r]!;
    let to = r + 1 < total ? starts[r + 1]! : text.length;
    if (to > from && text[to - 1] === "\n") to--;
    const part = text.slice(from, to).replace(BIDI, "\ufffd");
    rows.push(r === 0 ? prompt + part : part);
  }
  return {
    rows,
    cursorRow: cursorRow - first,
    cursorColumn,
    hiddenAbove: first,
    hiddenBelow: total - last,
  };
}
