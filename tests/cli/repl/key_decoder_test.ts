/** The key decoder, fed bytes as a terminal sends them. */
import assert from "node:assert/strict";
import { KeyDecoder, type KeyEvent } from "../../../src/cli/repl/key_decoder.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const key = (name: string, alt = false, ctrl = false): KeyEvent => ({
  type: "key",
  name,
  alt,
  ctrl,
});

function decode(...chunks: (string | Uint8Array)[]): KeyEvent[] {
  const decoder = new KeyDecoder(1000);
  return chunks.flatMap((c) => decoder.feed(typeof c === "string" ? bytes(c) : c));
}

Deno.test("key decoder: printable runs become one text event; controls become keys", () => {
  assert.deepEqual(decode("héllo 👋\r"), [{ type: "text", text: "héllo 👋" }, key("enter")]);
  assert.deepEqual(decode("a\tb\x7f\x03\x04\x17"), [
    { type: "text", text: "a" },
    key("tab"),
    { type: "text", text: "b" },
    key("backspace"),
    key("ctrl-c", false, true),
    key("ctrl-d", false, true),
    key("ctrl-w", false, true),
  ]);
});

Deno.test("key decoder: CSI and SS3 sequences, with modifiers", () => {
  assert.deepEqual(decode("\x1b[A\x1b[B\x1bOC\x1bOD\x1b[H\x1b[4~\x1b[3~\x1b[1;5D\x1b[1;3C"), [
    key("up"),
    key("down"),
    key("right"),
    key("left"),
    key("home"),
    key("end"),
    key("delete"),
    key("left", false, true),
    key("right", true, false),
  ]);
  // An unknown sequence is dropped whole, not typed.
  assert.deepEqual(decode("\x1b[99;1Xz"), [{ type: "text", text: "z" }]);
});

Deno.test("key decoder: Alt is an ESC prefix; a lone ESC waits for flush()", () => {
  assert.deepEqual(decode("\x1b1\x1b\r\x1bb"), [
    key("1", true),
    key("enter", true),
    key("b", true),
  ]);
  const decoder = new KeyDecoder(10);
  assert.deepEqual(decoder.feed(bytes("\x1b")), []);
  assert.equal(decoder.pending, true);
  assert.deepEqual(decoder.flush(), [key("escape")]);
  // … or for the rest of its sequence in the next read.
  assert.deepEqual(decoder.feed(bytes("\x1b[")), []);
  assert.deepEqual(decoder.feed(bytes("A")), [key("up")]);
});

Deno.test("key decoder: UTF-8 split across reads", () => {
  const all = bytes("é👋");
  const chunks = [...all].map((b) => Uint8Array.of(b));
  assert.deepEqual(
    decode(...chunks).map((e) => e.type === "text" ? e.text : "").join(""),
    "é👋",
  );
});

Deno.test("key decoder: a bracketed paste is one event, line ends as \\n, split anywhere", () => {
  const paste = "\x1b[200~line one\r\nline\ttwo\rthree\x1b[201~";
  const whole = decode(`x${paste}y`);
  assert.deepEqual(whole, [
    { type: "text", text: "x" },
    { type: "paste", text: "line one\nline\ttwo\nthree", truncated: false },
    { type: "text", text: "y" },
  ]);
  // The same bytes one at a time give the same events (the end marker split too).
  const split = decode(...[...bytes(`x${paste}y`)].map((b) => Uint8Array.of(b)));
  const texts = split.filter((e) => e.type === "text").map((e) => e.type === "text" && e.text);
  assert.deepEqual(texts, ["x", "y"]);
  assert.deepEqual(split.filter((e) => e.type === "paste"), [whole[1]]);
});

Deno.test("key decoder: a paste longer than kept is truncated; Ctrl-C ends a paste", () => {
  const decoder = new KeyDecoder(4);
  assert.deepEqual(decoder.feed(bytes("\x1b[200~abcdefgh\x1b[201~")), [
    { type: "paste", text: "abcd", truncated: true },
  ]);
  // A paste that never ends still lets Ctrl-C through.
  assert.deepEqual(decoder.feed(bytes("\x1b[200~ab")), []);
  assert.equal(decoder.inPaste, true);
  assert.deepEqual(decoder.feed(bytes("c\x03")), [
    { type: "paste", text: "abc", truncated: false },
    key("ctrl-c", false, true),
  ]);
  assert.equal(decoder.inPaste, false);
});

Deno.test("key decoder: 100 KB without bracketing comes out in runs, not per character", () => {
  const text = "x".repeat(100_000);
  const decoder = new KeyDecoder(10);
  const events: KeyEvent[] = [];
  for (let at = 0; at < text.length; at += 16_384) {
    events.push(...decoder.feed(bytes(text.slice(at, at + 16_384))));
  }
  assert.equal(events.length, Math.ceil(100_000 / 16_384));
  assert.equal(events.map((e) => e.type === "text" ? e.text : "").join(""), text);
});
