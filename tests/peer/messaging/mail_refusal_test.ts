import assert from "node:assert/strict";
import { RemoteError } from "../../../src/errors.ts";
import {
  FULL_MAILBOX_RETRY_MS,
  judgeMailRefusal,
} from "../../../src/peer/messaging/mail_refusal.ts";

Deno.test("mail refusal: a final refusal fails the message, with the rendezvous's words", () => {
  for (const status of ["E_UNKNOWN_SERVER", "E_TOO_LARGE", "E_NOT_FOUND", "E_KEY_RETIRED"]) {
    assert.deepEqual(judgeMailRefusal(new RemoteError("no", status), "bob"), {
      verdict: "fail",
      reason: "the rendezvous mailbox refused it: no",
    });
  }
});

Deno.test("mail refusal: a full mailbox waits the pause named, or FULL_MAILBOX_RETRY_MS", () => {
  const named = judgeMailRefusal(new RemoteError("full", "E_MAILBOX_FULL", 120_000), "bob");
  assert.deepEqual(named, {
    verdict: "wait",
    notice: "bob's mailbox is full (full); your message waits and is tried again in 2 min",
    notBeforeMs: 120_000,
  });
  const unnamed = judgeMailRefusal(new RemoteError("quota", "E_REMOTE_QUOTA"), "bob@work");
  assert.equal(unnamed.verdict, "wait");
  assert.equal(unnamed.verdict === "wait" && unnamed.notBeforeMs, FULL_MAILBOX_RETRY_MS);
  assert.match(unnamed.verdict === "wait" ? unnamed.notice : "", /bob@work's server takes no more/);
});

Deno.test("mail refusal: anything else is retried; a wrong recipient forgets the key", () => {
  assert.deepEqual(judgeMailRefusal(new Error("offline"), "bob"), {
    verdict: "retry",
    why: "cannot mail bob: offline",
    forget: false,
  });
  const wrong = judgeMailRefusal(new RemoteError("not bob", "E_WRONG_RECIPIENT"), "bob");
  assert.deepEqual(wrong, { verdict: "retry", why: "cannot mail bob: not bob", forget: true });
});
