/** The line editor as a state machine: key events in, states and actions out. */
import assert from "node:assert/strict";
import { KeyDecoder } from "../../../src/cli/repl/key_decoder.ts";
import {
  type EditorAction,
  type EditorOptions,
  type EditorState,
  editorStep,
  initialEditor,
  renderInput,
} from "../../../src/cli/repl/line_editor.ts";

const options: EditorOptions = {
  maxChars: 50,
  maxHistory: 3,
  complete(before) {
    const start = before.search(/\S*$/);
    const word = before.slice(start);
    return {
      start,
      candidates: ["/help", "/history", "bob"].filter((c) => c.startsWith(word) && word !== ""),
    };
  },
};

/** Feeds `input` (terminal bytes, as text) from `state`; the final state and every action. */
function type(input: string, state: EditorState = initialEditor()) {
  const decoder = new KeyDecoder(1000);
  const actions: EditorAction[] = [];
  for (const event of decoder.feed(new TextEncoder().encode(input))) {
    const step = editorStep(state, event, options);
    state = step.state;
    if (step.action) actions.push(step.action);
  }
  return { state, actions };
}

Deno.test("line editor: typing, moving and deleting", () => {
  const { state } = type("helo\x1b[D\x1b[Dl\x1b[F!\x01>\x05\x7f");
  assert.equal(state.text, ">hello");
  assert.equal(state.cursor, 6);
  assert.equal(type("one two three\x17").state.text, "one two ");
  assert.equal(type("one two\x01\x0b").state.text, "");
  assert.equal(type("one two\x1b[D\x15").state.text, "o");
  assert.equal(type("ab\x1b[D\x1b[3~").state.text, "a");
  assert.equal(type("a 👋\x7f").state.text, "a ", "a surrogate pair goes whole");
  assert.equal(type("one two\x1b[1;5Dx").state.text, "one xtwo");
});

Deno.test("line editor: Enter submits; Alt-Enter and a paste make multi-line input", () => {
  const { state, actions } = type("hi\r");
  assert.deepEqual(actions, [{ type: "submit", text: "hi" }]);
  assert.equal(state.text, "");
  const multi = type("a\x1b\rb\x1b[200~c\r\nd\x1b[201~\r");
  assert.deepEqual(multi.actions, [{ type: "submit", text: "a\nbc\nd" }]);
});

Deno.test("line editor: ↑/↓ walk the history and keep the draft; lines move first", () => {
  let { state } = type("one\rtwo\rthree\rfour\r");
  assert.deepEqual(state.history, ["two", "three", "four"], "at most maxHistory lines");
  state = type("draft", state).state;
  state = type("\x1b[A\x1b[A", state).state;
  assert.equal(state.text, "three");
  state = type("\x1b[B\x1b[B", state).state;
  assert.equal(state.text, "draft");
  assert.deepEqual(type("\x1b[B", state).actions, [{ type: "bell" }]);
  // In a multi-line input ↑ moves to the line above before it recalls history.
  const lines = type("ab\x1b\rcd\x1b[A", state).state;
  assert.equal(lines.text, "draftab\ncd");
  assert.equal(lines.cursor, 2);
});

Deno.test("line editor: Tab completes one candidate, a common prefix, or lists them", () => {
  assert.equal(type("hi b\t").state.text, "hi bob ");
  const common = type("/h\t");
  assert.equal(common.state.text, "/h");
  assert.deepEqual(common.actions, [{ type: "candidates", list: ["/help", "/history"] }]);
  assert.equal(type("/hi\t").state.text, "/history ");
  assert.deepEqual(type("zz\t").actions, [{ type: "bell" }]);
});

Deno.test("line editor: input beyond maxChars is dropped and said", () => {
  const { state, actions } = type("x".repeat(60));
  assert.equal(state.text.length, 50);
  assert.deepEqual(actions, [{ type: "too-long", max: 50 }]);
});

Deno.test("line editor: keys it does not edit with are the chat's", () => {
  const { actions } = type("\x03\x1b1");
  assert.deepEqual(actions.map((a) => a.type === "unhandled" && a.event), [
    { type: "key", name: "ctrl-c", alt: false, ctrl: true },
    { type: "key", name: "1", alt: true, ctrl: false },
  ]);
  assert.equal(type("\x04").actions[0]?.type, "unhandled", "Ctrl-D on an empty line");
  assert.deepEqual(type("a\x01\x04").state.text, "", "Ctrl-D deletes on a non-empty one");
});

Deno.test("line editor: rendering wraps at the width, wide characters whole", () => {
  const state = { ...initialEditor(), text: "abcdefg漢字", cursor: 9 };
  const view = renderInput(state, "> ", 5, 10);
  assert.deepEqual(view.rows, ["> abc", "defg", "漢字"], "漢 does not fit after defg");
  assert.deepEqual([view.cursorRow, view.cursorColumn], [2, 4]);
  // A cursor after a full last row goes to the start of the next one.
  const full = renderInput({ ...initialEditor(), text: "abc", cursor: 3 }, "> ", 5, 10);
  assert.deepEqual(full.rows, ["> abc", ""]);
  assert.deepEqual([full.cursorRow, full.cursorColumn], [1, 0]);
});

Deno.test("line editor: a long input shows a window of rows around the cursor", () => {
  const text = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n");
  const view = renderInput({ ...initialEditor(), text, cursor: text.length }, "> ", 40, 4);
  assert.deepEqual(view.rows, ["line 16", "line 17", "line 18", "line 19"]);
  assert.equal(view.hiddenAbove, 16);
  assert.equal(view.hiddenBelow, 0);
  assert.equal(view.cursorRow, 3);
  assert.equal(view.cursorColumn, 7);
  const top = renderInput({ ...initialEditor(), text, cursor: 0 }, "> ", 40, 4);
  assert.deepEqual(top.rows, ["> line 0", "line 1", "line 2", "line 3"]);
  assert.equal(top.cursorColumn, 2);
});

Deno.test("line editor: bidirectional overrides are drawn as U+FFFD", () => {
  const view = renderInput({ ...initialEditor(), text: "a\u202eb", cursor: 3 }, "", 20, 2);
  assert.deepEqual(view.rows, ["a\ufffdb"]);
});
