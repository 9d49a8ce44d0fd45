/** /list, /away and /contacts: their parsers, and the /contacts lines (pure). */
import assert from "node:assert/strict";
import {
  contactLines,
  onlineName,
  presenceCommands,
} from "../../../src/cli/repl/presence_commands.ts";
import { style } from "../../../src/cli/repl/format.ts";
import { ReplRegistry } from "../../../src/cli/repl/registry.ts";

const registry = new ReplRegistry(presenceCommands());
const parse = (line: string) => {
  const parsed = registry.parse(line, { self: "alice" });
  return parsed.kind === "command" ? parsed.command : parsed;
};

Deno.test("presence commands: /list [more], /away [text], /contacts", () => {
  assert.deepEqual(parse("/list"), { kind: "list", more: false });
  assert.deepEqual(parse("/who"), { kind: "list", more: false });
  assert.deepEqual(parse("/list more"), { kind: "list", more: true });
  // A word after /list that is not "more" names a federated server (issue 12); two words are a
  // usage error.
  assert.deepEqual(parse("/list Work"), { kind: "list", more: false, server: "work" });
  const usage = parse("/list now please") as { kind: string; message: string };
  assert.equal(usage.kind, "usage");
  assert.match(usage.message, /^Usage: \/list \[more\|server\]$/);
  assert.deepEqual(parse("/away  gone   fishing "), { kind: "away", text: "gone   fishing" });
  assert.deepEqual(parse("/away"), { kind: "away", text: "" });
  assert.deepEqual(parse("/contacts"), { kind: "contacts" });
  assert.equal((parse("/contacts bob") as { kind: string }).kind, "usage");
});

Deno.test("presence commands: names and contact lines, control characters made harmless", () => {
  assert.equal(onlineName({ username: "bob", away: "" }), "bob");
  assert.equal(onlineName({ username: "bob", away: "out\x1b[2J" }), "bob (away: out\ufffd[2J)");
  const s = style(false);
  assert.deepEqual(contactLines([], () => 0, s), ["No contacts yet: /msg someone to start."]);
  assert.deepEqual(
    contactLines(
      [
        { username: "bob", online: true, away: "lunch", trust: "verified" },
        { username: "carol", online: false, away: "", trust: "unverified" },
        { username: "dave", online: undefined, away: "", trust: "key-changed" },
      ],
      (name) => name === "carol" ? 3 : 0,
      s,
    ),
    [
      "Contacts (3):",
      "  bob    online, away: lunch · verified",
      "  carol  offline · not verified · 3 unread",
      "  dave   presence unknown · key changed: /trust",
    ],
  );
});
