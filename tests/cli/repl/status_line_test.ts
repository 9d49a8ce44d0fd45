/** The status line: who, where, the connection, the conversation and unread counts. */
import assert from "node:assert/strict";
import { Conversations } from "../../../src/cli/repl/conversations.ts";
import { style } from "../../../src/cli/repl/format.ts";
import { shortAddress, statusLine } from "../../../src/cli/repl/status_line.ts";

const plain = style(false);

Deno.test("status line: self, rendezvous, connection, target and unread counts", () => {
  const c = new Conversations("alice");
  c.select("bob");
  c.arrived("#dev", "carol", "hi");
  c.arrived("#dev", "carol", "alice: look");
  c.arrived("bob", "bob", "seen");
  c.arrived("dave", "dave", "yo");
  const line = statusLine(
    {
      self: "alice",
      rendezvous: "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW",
      connected: true,
      conversations: c.view(),
    },
    200,
    plain,
  );
  assert.equal(
    line.trimEnd(),
    " alice@127.0.0.1:4001 │ connected │ → 1:bob │ [2:#dev 2!] [3:dave 1]",
  );
  assert.equal(line.length, 199, "padded to the width, the last column left alone");
});

Deno.test("status line: a lost rendezvous, no target, hidden input rows, a narrow terminal", () => {
  const info = {
    self: "alice",
    rendezvous: "/dns4/chat.example/tcp/443",
    connected: false,
    conversations: [],
    hiddenInput: { above: 3, below: 0 },
  };
  assert.match(
    statusLine(info, 200, plain),
    /^ alice@chat\.example:443 │ rendezvous lost, reconnecting… │ → nobody \(\/to <user>\) │ input: 3 row\(s\) above, 0 below +$/,
  );
  const narrow = statusLine(info, 20, plain);
  assert.equal(narrow, " alice@chat.exampl…");
  assert.equal(shortAddress("/unix/tmp/x"), "/unix/tmp/x");
  // deno-lint-ignore no-control-regex
  assert.match(statusLine(info, 40, style(true)), /^\x1b\[7m/, "inverse video with colours");
});
