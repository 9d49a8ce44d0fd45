import assert from "node:assert/strict";
import {
  type AwayEvent,
  awayMarker,
  AwayRecorder,
  awayReport,
  awaySummary,
} from "../../../src/cli/repl/away.ts";
import { style } from "../../../src/cli/repl/format.ts";
import type { PeerEvent } from "../../../src/peer/events.ts";
import type { TransferInfo } from "../../../src/peer/files/events.ts";

const s = style(false);
const T = Date.UTC(2030, 0, 1, 12, 0);
const message = (from: string, text: string): AwayEvent => ({
  source: "peer",
  event: {
    type: "message",
    id: text,
    from,
    to: "bob",
    text,
    sentAt: T,
    keyChanged: false,
    trusted: true,
    via: "mailbox",
  },
});
const transfer = (outgoing: boolean): TransferInfo => ({
  id: "ab".repeat(16),
  peer: "carol",
  outgoing,
  name: "notes.txt",
  size: 10,
  sha256: "00".repeat(32),
  path: "/tmp",
});

const ITEMS: AwayEvent[] = [
  message("alice", "one"),
  { source: "peer", event: { type: "presence", username: "alice", online: true } },
  message("alice", "two"),
  {
    source: "room",
    event: { type: "room-message", id: "r1", room: "#dev", from: "dave", text: "hi", sentAt: T },
  },
  { source: "room", event: { type: "room-invite", room: "#ops", from: "dave" } },
  { source: "file", event: { type: "file-offered", transfer: transfer(false) } },
  { source: "file", event: { type: "file-offered", transfer: transfer(true) } },
  { source: "peer", event: { type: "delivered", id: "x", to: "alice" } },
];

Deno.test("away: messages, room messages and incoming file offers count, by conversation", () => {
  const summary = awaySummary(ITEMS);
  assert.equal(summary.total, 4);
  assert.deepEqual([...summary.unread], [["alice", 2], ["#dev", 1], ["carol", 1]]);
  assert.equal(
    awayMarker(summary),
    "— 4 messages while you were away (alice 2, #dev 1, carol 1) —",
  );
  assert.equal(
    awayMarker(awaySummary([message("alice", "x")])),
    "— 1 message while you were away (alice 1) —",
  );
});

Deno.test("away: the report is the marker, every kept line but presence, then a closing line", () => {
  const { lines } = awayReport(ITEMS, s);
  assert.equal(lines[0], "— 4 messages while you were away (alice 2, #dev 1, carol 1) —");
  assert.equal(lines.at(-1), "— now —");
  assert.equal(lines.length, 2 + ITEMS.length - 1);
  assert.match(lines[1]!, /^\[\d\d:\d\d\] alice: one$/);
  assert.ok(!lines.some((l) => l.includes("is online")));
  assert.ok(lines.some((l) => /#dev dave: hi$/.test(l)));
  assert.ok(lines.some((l) => /carol offers notes\.txt/.test(l)));
  assert.deepEqual(awayReport([], s), { summary: { total: 0, unread: new Map() }, lines: [] });
  const hidden = awayReport(ITEMS, s, (e) => e.type === "delivered").lines;
  assert.equal(hidden.length, lines.length - 1, "a hidden receipt is left out");
  assert.ok(!hidden.some((l) => l.includes("delivered")));
});

Deno.test("away: the recorder keeps events in order until stopped, then lets go", () => {
  const listeners = new Set<(e: PeerEvent) => void>();
  const recorder = new AwayRecorder({
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  const emit = (e: PeerEvent) => listeners.forEach((l) => l(e));
  emit({ type: "notice", text: "a" });
  emit({ type: "notice", text: "b" });
  const kept = recorder.stop();
  assert.deepEqual(
    kept.map((k) => k.source === "peer" && k.event.type === "notice" && k.event.text),
    ["a", "b"],
  );
  assert.equal(listeners.size, 0);
  assert.deepEqual(recorder.stop(), []);
});
