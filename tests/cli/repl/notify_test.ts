/** Notification escapes and how the mode is chosen. */
import assert from "node:assert/strict";
import { notification, notifyMode } from "../../../src/cli/repl/notify.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("notify: the mode from TINCAN_NOTIFY, else from the terminal", () => {
  assert.equal(notifyMode(env({})), "osc9");
  assert.equal(notifyMode(env({ VTE_VERSION: "7600" })), "osc777");
  assert.equal(notifyMode(env({ TERM: "foot" })), "osc777");
  assert.equal(notifyMode(env({ TINCAN_NOTIFY: "OFF", VTE_VERSION: "1" })), "off");
  assert.equal(notifyMode(env({ TINCAN_NOTIFY: "nonsense" })), "osc9");
});

Deno.test("notify: bell plus OSC 9 or 777; text cannot end the escape early", () => {
  assert.equal(notification("off", "t", "b", false), "");
  assert.equal(notification("bell", "t", "b", false), "\x07");
  assert.equal(
    notification("osc9", "tincan: bob", "hi\x07\x1b]0;x", false),
    "\x07\x1b]9;tincan: bob: hi  ]0 x\x07",
  );
  assert.equal(notification("osc777", "bob", "a;b", false), "\x07\x1b]777;notify;bob;a b\x07");
  assert.equal(
    notification("osc9", "bob", "hi", true),
    "\x07\x1bPtmux;\x1b\x1b]9;bob: hi\x07\x1b\\",
  );
  assert.ok(notification("osc9", "bob", "x".repeat(500), false).length < 200);
});
