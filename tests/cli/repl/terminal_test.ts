/** The terminal adapter over a fake terminal: raw mode, bracketed paste, slices, drawing. */
import assert from "node:assert/strict";
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON } from "../../../src/cli/repl/key_decoder.ts";
import type { EditorAction } from "../../../src/cli/repl/line_editor.ts";
import { TerminalUI } from "../../../src/cli/repl/terminal.ts";
import { FakeTerminal } from "./fake_terminal.ts";

function ui(maxChars = 1000) {
  const term = new FakeTerminal();
  const submitted: string[] = [];
  const actions: EditorAction[] = [];
  const pastes: { length: number; truncated: boolean }[] = [];
  let ended = false;
  const editor = new TerminalUI(term, {
    prompt: () => "> ",
    status: (width) => "status".padEnd(width - 1),
    complete: () => ({ start: 0, candidates: [] }),
    submit: (text) => void submitted.push(text),
    action: (action) => void actions.push(action),
    acceptPaste: (text, truncated) => {
      pastes.push({ length: text.length, truncated });
      return !truncated;
    },
    end: () => ended = true,
  }, { maxChars, history: ["old"], maxHistory: 10 });
  return { term, editor, submitted, actions, pastes, ended: () => ended };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await settle();
  assert.ok(check(), "never happened");
}

Deno.test("terminal: raw mode and bracketed paste on while running, off after", async () => {
  const { term, editor } = ui();
  editor.start();
  assert.equal(term.raw, true);
  assert.ok(term.output.startsWith(BRACKETED_PASTE_ON));
  assert.match(term.text(), /> \r\nstatus/);
  editor.stop();
  assert.equal(term.raw, false);
  assert.ok(term.output.endsWith(BRACKETED_PASTE_OFF));
  term.end();
  await settle();
});

Deno.test("terminal: typed lines are submitted; history recalls; printing keeps the input", async () => {
  const { term, editor, submitted } = ui();
  editor.start();
  term.type("hello\r\x1b[A");
  await until(() => submitted.length === 1);
  assert.deepEqual(submitted, ["hello"]);
  assert.deepEqual(editor.history, ["old", "hello"]);
  term.output = "";
  editor.print("a message");
  // The footer is erased, the line printed, then the prompt with the recalled input again.
  assert.match(term.text(), /^\r?a message\r\n\r?> hello\r\nstatus/);
  editor.stop();
  term.end();
});

Deno.test("terminal: an oversized paste is refused whole; one that fits is inserted", async () => {
  const { term, editor, submitted, pastes } = ui(1000);
  editor.start();
  term.type(`\x1b[200~${"x".repeat(5000)}\x1b[201~`);
  await until(() => pastes.length === 1);
  assert.deepEqual(pastes, [{ length: 1001, truncated: true }]);
  term.type("\x1b[200~two\r\nlines\x1b[201~\r");
  await until(() => submitted.length === 1);
  assert.deepEqual(submitted, ["two\nlines"]);
  editor.stop();
  term.end();
});

Deno.test("terminal: input is handled in slices; the event loop runs between them", async () => {
  const { term, editor, submitted } = ui();
  editor.start();
  let seenByTimer = -1;
  term.type("x\r".repeat(1000));
  setTimeout(() => seenByTimer = submitted.length, 0);
  await until(() => submitted.length === 1000);
  assert.ok(seenByTimer >= 0 && seenByTimer < 1000, `the timer ran after ${seenByTimer} lines`);
  editor.stop();
  term.end();
});

Deno.test("terminal: Ctrl-C and keys it does not edit go to the chat; end of input ends", async () => {
  const { term, editor, actions, ended } = ui();
  editor.start();
  term.type("\x1b[200~never ends \x03");
  await until(() => actions.length === 1);
  assert.deepEqual(actions, [{
    type: "unhandled",
    event: { type: "key", name: "ctrl-c", alt: false, ctrl: true },
  }]);
  term.end();
  await until(ended);
  editor.stop();
});

Deno.test("terminal: only changed rows are redrawn as you type", async () => {
  const { term, editor } = ui();
  editor.start();
  term.type("a");
  await until(() => term.text().includes("> a"));
  term.output = "";
  term.type("b");
  await until(() => term.text().includes("b"));
  assert.ok(!term.output.includes("status"), "the status line did not change");
  editor.stop();
  term.end();
});
