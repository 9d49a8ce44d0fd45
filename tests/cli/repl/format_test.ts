import assert from "node:assert/strict";
import {
  chatLine,
  dateLine,
  formatEvent,
  formatHistoryLine,
  formatSafetyNumber,
  messageBody,
  sanitize,
  style,
  useColor,
} from "../../../src/cli/repl/format.ts";
import type { SessionProtocol } from "../../../src/peer/store/contact_protocols.ts";

const plain = style(false);

/** A direct message event, for the tests of how one is shown. */
const HI_FROM_BOB = {
  type: "message",
  id: "01",
  from: "bob",
  to: "alice",
  text: "hi",
  keyChanged: false,
  trusted: true,
  via: "direct",
} as const;

Deno.test("colours only on a terminal without NO_COLOR", () => {
  assert.equal(useColor(true, undefined), true);
  assert.equal(useColor(true, ""), true);
  assert.equal(useColor(true, "1"), false);
  assert.equal(useColor(false, undefined), false);
  assert.equal(style(true).red("x"), "\x1b[31mx\x1b[39m");
  assert.equal(plain.red("x"), "x");
});

Deno.test("text from others cannot move the cursor or reorder the line", () => {
  assert.equal(sanitize("a\x1b[Hb\rc\nd\u202ee"), "a\ufffd[Hb\ufffdc\ufffdd\ufffde");
  assert.equal(sanitize("héllo 👋"), "héllo 👋");
});

Deno.test("events become one line each (the key change loudly)", () => {
  const message = formatEvent({ ...HI_FROM_BOB, sentAt: Date.now() }, plain);
  assert.match(message!, /^\[\d\d:\d\d\] bob: hi$/);
  assert.equal(
    formatEvent({ type: "delivered", id: "01", to: "bob" }, plain),
    "  ✓ delivered to bob",
  );
  assert.equal(
    formatEvent({ type: "delivered", id: "01", to: "bob", via: "relayed" }, plain),
    "  ✓ delivered to bob (relayed)",
  );
  assert.equal(
    formatEvent({ type: "failed", id: "01", to: "bob", reason: "gone" }, plain),
    "  ✗ not delivered to bob: gone",
  );
  assert.equal(
    formatEvent({ type: "presence", username: "bob", online: false }, plain),
    "* bob went offline",
  );
  const warning = formatEvent({ type: "key-changed", username: "bob", blocked: false }, plain)!;
  assert.match(warning, /^!!! WARNING: bob's identity key CHANGED\..*HELD.*\/trust bob/);
  assert.match(
    formatEvent({ type: "key-changed", username: "bob", blocked: true }, plain)!,
    /BLOCKED/,
  );
});

Deno.test("a message from a changed, untrusted key is behind a banner, not shown as the contact", () => {
  const lines = formatEvent({
    type: "message",
    id: "01",
    from: "bob",
    to: "alice",
    text: "it is me, new laptop",
    sentAt: Date.now(),
    keyChanged: true,
    trusted: false,
    via: "mailbox",
  }, plain)!.split("\n");
  assert.match(lines[0]!, /^!!! WARNING: bob's identity key CHANGED/);
  assert.match(
    lines[1]!,
    /^!!! UNTRUSTED: the next message comes from a NEW key claiming to be bob/,
  );
  assert.match(lines[2]!, /^\[\d\d:\d\d\] bob\?: it is me, new laptop$/);
  const detail = formatEvent({
    type: "key-changed",
    username: "bob",
    blocked: false,
    detail: "bob's account was re-created at the rendezvous on 2024-01-02T03:04:05.000Z",
  }, plain)!;
  assert.match(detail, /\n!!! bob's account was re-created at the rendezvous on 2024-01-02/);
});

Deno.test("history lines and safety numbers", () => {
  const line = formatHistoryLine(
    { id: "01", peer: "bob", outgoing: true, sentAt: 0, text: "yo", broadcast: false },
    "alice",
    plain,
  );
  assert.match(line, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] alice → bob: yo$/);
  const untrusted = formatHistoryLine(
    {
      id: "02",
      peer: "bob",
      outgoing: false,
      sentAt: 0,
      text: "new laptop",
      broadcast: false,
      untrusted: true,
    },
    "alice",
    plain,
  );
  assert.match(untrusted, /\] bob\? \(UNTRUSTED new key\) → alice: new laptop$/);
  const number = Array.from({ length: 12 }, (_, i) => String(i).padStart(5, "0")).join(" ");
  const lines = formatSafetyNumber("bob", number, plain);
  assert.equal(lines[1], "  00000 00001 00002 00003 00004 00005");
  assert.equal(lines[2], "  00006 00007 00008 00009 00010 00011");
  assert.match(lines[3]!, /\/verify bob yes/);
});

Deno.test("history lines: ours end with their delivery state; broadcasts say so", () => {
  const ours = { id: "01", peer: "bob", outgoing: true, sentAt: 0, text: "yo", broadcast: false };
  const at = (line: Parameters<typeof formatHistoryLine>[0]) =>
    formatHistoryLine(line, "alice", plain).replace(/^\[[^\]]+\] /, "");
  assert.equal(at({ ...ours, delivery: { status: "delivered" } }), "alice → bob: yo  ✓ delivered");
  assert.equal(at({ ...ours, delivery: { status: "queued" } }), "alice → bob: yo  … queued");
  assert.equal(at({ ...ours, delivery: { status: "sent" } }), "alice → bob: yo  … sending");
  assert.equal(
    at({ ...ours, delivery: { status: "failed", error: "no user \x1b[2Jnobody" } }),
    "alice → bob: yo  ✗ failed: no user \ufffd[2Jnobody",
  );
  assert.equal(
    at({ ...ours, delivery: { status: "held" } }),
    "alice → bob: yo  held: their key changed",
  );
  assert.equal(
    at({ ...ours, broadcast: true, delivery: { status: "delivered" } }),
    "alice → everyone: yo (to bob)  ✓ delivered",
  );
  assert.equal(
    at({ ...ours, outgoing: false, peer: "carol", broadcast: true }),
    "carol → everyone: yo",
  );
});

Deno.test("chat lines: yours with its recipient, /me, several lines indented, a date line", () => {
  const at = new Date(2025, 5, 3, 9, 5).getTime();
  assert.equal(
    chatLine({ sentAt: at, from: "alice", to: "bob", text: "hi", own: true }, plain),
    "[09:05] alice → bob: hi",
  );
  assert.equal(
    chatLine({ sentAt: at, from: "bob", text: "/me waves" }, plain),
    "[09:05] * bob waves",
  );
  assert.equal(
    chatLine({ sentAt: at, from: "bob", room: "#dev", text: "one\ntwo\x1b[2J" }, plain),
    "[09:05] #dev bob: one\n    two\ufffd[2J",
  );
  assert.equal(dateLine(at, plain), "--- Tuesday, 2025-06-03 ---");
  assert.equal(messageBody("a\r\nb"), "a\n    b");
});

Deno.test("a message whose send time was far off carries its note on a second line", () => {
  const message = formatEvent({
    ...HI_FROM_BOB,
    sentAt: Date.now(),
    clockNote: "the sender's clock said 2031-01-01T00:00:00.000Z, over 24 h ahead",
  }, plain);
  assert.match(
    message!,
    /^\[\d\d:\d\d\] bob: hi\n {2}! shown as it arrived: bob's message — the sender's clock said 2031-/,
  );
});

Deno.test("an X3DH session is said plainly, a downgrade loudly; /verify names the key agreement", () => {
  const note = formatEvent({ type: "x3dh-session", username: "bob", downgrade: false }, plain)!;
  assert.match(note, /^\* the session with bob uses X3DH: bob publishes no post-quantum keys/);
  const warning = formatEvent({ type: "x3dh-session", username: "bob", downgrade: true }, plain)!;
  assert.match(warning, /^!!! WARNING: the new session with bob is X3DH, WITHOUT post-quantum/);
  assert.match(warning, /\/verify bob/);
  const number = Array(12).fill("12345").join(" ");
  const expected: [SessionProtocol, string][] = [
    ["pqxdh", "Session setup: PQXDH (post-quantum, ML-KEM-768)"],
    ["x3dh", "Session setup: X3DH (no post-quantum keys published)"],
    [
      "x3dh-downgraded",
      "Session setup: X3DH, DOWNGRADED (post-quantum keys were published before)",
    ],
    ["none", "Session setup: no session yet"],
  ];
  for (const [protocol, line] of expected) {
    const lines = formatSafetyNumber("bob", number, plain, protocol);
    assert.equal(lines[3], line);
    assert.match(lines[4]!, /\/verify bob yes/);
  }
});
