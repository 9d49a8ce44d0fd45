/** Receipts under the message they belong to. */
import assert from "node:assert/strict";
import { style } from "../../../src/cli/repl/format.ts";
import { Receipts } from "../../../src/cli/repl/receipts.ts";

const plain = style(false);

function receipts() {
  let printed = 0;
  const r = new Receipts(plain, (n) => n === printed);
  return { r, print: () => ++printed };
}

Deno.test("receipts: bare right under the message, naming it when something came between", () => {
  const { r, print } = receipts();
  r.begin();
  assert.deepEqual(r.sent("hello bob", ["01"], print()), []);
  assert.deepEqual(r.event({ type: "queued", id: "01", to: "bob" }), [
    "  … bob is offline: queued in bob's mailbox at the rendezvous",
  ]);
  print(); // another line
  assert.deepEqual(r.event({ type: "delivered", id: "01", to: "bob" }), [
    "  ✓ delivered to bob (“hello bob”)",
  ]);
  // An id nobody sent (before this chat started) is shown plainly.
  assert.deepEqual(r.event({ type: "failed", id: "99", to: "zed", reason: "gone" }), [
    "  ✗ not delivered to zed: gone",
  ]);
  assert.deepEqual(r.event({ type: "delivered", id: "98", to: "zed" }, true), [], "quiet");
});

Deno.test("receipts: early ones wait for their send's id", () => {
  const { r, print } = receipts();
  r.begin();
  assert.deepEqual(r.event({ type: "delivered", id: "01", to: "bob" }), []);
  assert.deepEqual(r.sent("x".repeat(60), ["01"], print()), ["  ✓ delivered to bob"]);
  r.begin();
  assert.deepEqual(r.event({ type: "delivered", id: "77", to: "carol" }), []);
  assert.deepEqual(r.failed(), ["  ✓ delivered to carol"]);
});

Deno.test("receipts: a room message gets one line once every member has an outcome", () => {
  const { r, print } = receipts();
  r.begin();
  r.sent("hi all", ["a", "b", "c"], print(), "#dev");
  assert.deepEqual(r.event({ type: "delivered", id: "a", to: "bob" }), []);
  assert.deepEqual(r.event({ type: "queued", id: "b", to: "carol" }), []);
  assert.deepEqual(r.event({ type: "delivered", id: "c", to: "dave" }), [
    "  ✓ #dev: delivered to 2 of 3, 1 queued",
  ]);
  assert.deepEqual(r.event({ type: "delivered", id: "b", to: "carol" }), [], "counted once");
  r.begin();
  r.sent("second", ["d"], print(), "#dev");
  print();
  assert.deepEqual(r.event({ type: "failed", id: "d", to: "bob", reason: "x" }), [
    "  ✗ #dev: delivered to 0 of 1, 1 failed (“second”)",
  ]);
});
