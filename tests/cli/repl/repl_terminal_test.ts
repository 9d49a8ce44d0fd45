/**
 * The REPL on a fake terminal (terminal_view.ts): status line, unread counts, notifications,
 * receipts, paste limits and Ctrl-C; a fake peer, no network.
 */
import assert from "node:assert/strict";
import { type ReplOptions, startRepl } from "../../../src/cli/repl/repl.ts";
import { MAX_TEXT_BYTES } from "../../../src/cli/peer_args.ts";
import type { ReplFiles } from "../../../src/cli/repl/registry.ts";
import type { FileTransfers, TransferListing } from "../../../src/peer/files/file_transfers.ts";
import { FakePeer, waitToSee } from "./fake_peer.ts";
import { FakeTerminal } from "./fake_terminal.ts";

/** What a terminal harness may add to the REPL's options. */
type ExtraOptions = Pick<ReplOptions, "away" | "files" | "verbose">;

/** The REPL on a fake terminal. */
function terminalHarness(extra: ExtraOptions = {}) {
  const peer = new FakePeer();
  const term = new FakeTerminal();
  const repl = startRepl(peer, {
    ...extra,
    terminal: term,
    color: false,
    rendezvous: "/ip4/127.0.0.1/tcp/4001",
    notify: "osc9",
    now: () => new Date(2025, 5, 3, 12, 0).getTime(),
  });
  const see = (pattern: RegExp) => waitToSee(() => term.text(), pattern);
  /** Quits with Ctrl-C and waits until the REPL closed. */
  const quit = async () => {
    term.type("\x03");
    await repl.closed;
    term.end();
  };
  return { peer, term, repl, see, quit };
}

const message = (from: string, text: string, sentAt = new Date(2025, 5, 3, 12, 1).getTime()) =>
  ({
    type: "message",
    id: crypto.randomUUID(),
    from,
    to: "alice",
    text,
    sentAt,
    keyChanged: false,
    trusted: true,
    via: "direct",
  }) as const;

Deno.test("repl on a terminal: status line with unread counts, notification, Alt-1", async () => {
  const h = terminalHarness();
  try {
    await h.see(/alice> .*\r\n alice@127\.0\.0\.1:4001 │ connected │ → nobody/s);
    h.peer.emit(message("bob", "hi alice"));
    await h.see(/\[12:01\] bob: hi alice/);
    await h.see(/\[1:bob 1!\]/);
    assert.ok(h.term.output.includes("\x07\x1b]9;tincan: bob: hi alice\x07"));
    h.term.type("\x1b1");
    await h.see(/→ 1:bob {2,}/);
    await h.see(/alice → bob> /);
    h.peer.emit({ type: "notice", text: "lost the rendezvous", rendezvous: "lost" });
    await h.see(/rendezvous lost, reconnecting…/);
    // A message from another day brings a date line.
    h.peer.emit(message("bob", "yesterday's", new Date(2025, 5, 2, 23, 0).getTime()));
    await h.see(/--- Monday, 2025-06-02 ---\r\n\[23:00\] bob: yesterday's/);
  } finally {
    await h.quit();
  }
});

Deno.test("repl on a terminal: your line with its time, then its receipt", async () => {
  const h = terminalHarness();
  try {
    h.term.type("/to bob\r");
    await h.see(/Now talking to bob/);
    h.term.type("hello bob\r");
    await h.see(/\[12:00\] alice → bob: hello bob/);
    h.peer.emit({ type: "delivered", id: "id1", to: "bob" });
    // Right under its message: bare, without quoting it.
    await h.see(/alice → bob: hello bob\r\n[^✓]*\r {2}✓ delivered to bob\r\n/);
    h.term.type("/to b\t");
    await h.see(/alice → bob> \/to bob /);
  } finally {
    await h.quit();
  }
});

Deno.test("repl on a terminal: a 100 KB paste is refused with the limit; Ctrl-C still quits", async () => {
  const h = terminalHarness();
  h.term.type(`\x1b[200~${"x".repeat(100 * 1024)}\x1b[201~`);
  await h.see(new RegExp(`Paste refused: .*at most ${MAX_TEXT_BYTES} bytes`));
  h.term.type(`\x1b[200~${"y".repeat(100 * 1024)}`);
  h.term.type("\x03");
  await h.repl.closed;
  assert.equal(h.term.raw, false);
  assert.deepEqual(h.peer.sent, []);
  h.term.end();
});

Deno.test("repl on a terminal: what came while away is shown first and counted unread", async () => {
  const h = terminalHarness({
    away: {
      summary: { total: 3, unread: new Map([["bob", 2], ["#dev", 1]]) },
      lines: ["— 3 messages while you were away (bob 2, #dev 1) —", "[11:00] bob: hi", "— now —"],
    },
  });
  try {
    await h.see(/— 3 messages while you were away \(bob 2, #dev 1\) —\r\n\[11:00\] bob: hi/);
    await h.see(/→ nobody \(\/to <user>\) │ \[1:bob 2\] \[2:#dev/); // 80 columns
    // Alt-1 reads bob's; #dev stays unread.
    h.term.type("\x1b1");
    await h.see(/→ 1:bob │ \[2:#dev 1\]/);
    h.term.type("/w\r");
    await h.see(/2:#dev/);
  } finally {
    await h.quit();
  }
});

/** File transfers where one file is being sent: only list() answers. */
function movingFiles(): ReplFiles & Pick<FileTransfers, "on"> {
  const moving: TransferListing = {
    id: "aa",
    peer: "bob",
    outgoing: true,
    name: "big.iso",
    size: 10,
    sha256: "00",
    path: "/big.iso",
    status: "accepted",
    reason: "",
  };
  const refuse = () => Promise.reject(new Error("not in this test"));
  return {
    list: () => [moving],
    pending: () => [],
    on: () => () => {},
    offer: refuse,
    accept: refuse,
    reject: () => {
      throw new Error("not in this test");
    },
    cancel: refuse,
  };
}

Deno.test("repl on a terminal: Ctrl-C mid-transfer warns first; a second one quits", async () => {
  const h = terminalHarness({ files: movingFiles() });
  await h.see(/alice> /);
  h.term.type("\x03");
  await h.see(/A transfer is running \(big\.iso to bob\): press Ctrl-C again to quit anyway/);
  await h.quit();
  assert.equal(h.term.raw, false);
});

Deno.test("repl on a terminal: a library error is explained; --verbose adds the detail", async () => {
  for (const verbose of [false, true]) {
    const h = terminalHarness({ verbose });
    h.peer.safetyNumber = () => Promise.reject(new Error("bad frame: The stream has been reset"));
    try {
      h.term.type("/verify bob\r");
      await h.see(/Error: the connection was cut off halfway/);
      assert.equal(/detail: bad frame/.test(h.term.text()), verbose);
    } finally {
      await h.quit();
    }
  }
});
