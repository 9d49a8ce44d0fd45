/**
 * The chat REPL through a real terminal: alice and bob each run the real `tincan chat` in a tmux
 * pane (a private tmux server), against a rendezvous this test starts, and the test types into
 * the panes and reads the screens.
 */
import assert from "node:assert/strict";
import { stopAll, withRendezvous } from "./harness.ts";
import { killTmux, Pane, tmuxAvailable } from "./tmux_pane.ts";

const HAS_TMUX = await tmuxAvailable();
/** The status line at the bottom of a chat. */
const STATUS = /^ \w+@127\.0\.0\.1:\d+ │ (connected|rendezvous lost, reconnecting…) │ → /;

/** Starts `tincan chat` as `user` in a pane. */
const chat = (user: string, profileDir: string, rendezvous: string) =>
  Pane.start(user, ["chat", "--user", user, "--profile", profileDir, "--rendezvous", rendezvous]);

/** A test with tmux, a rendezvous and a home directory, all stopped or removed after `body`. */
function tmuxTest(what: string, body: (address: string, home: string) => Promise<void>): void {
  Deno.test({
    name: HAS_TMUX
      ? `chat in a real terminal: ${what}`
      : `chat in a real terminal: ${what} (IGNORED: tmux is not installed; install it to run this test)`,
    ignore: !HAS_TMUX,
    async fn() {
      const { rendezvous, address } = await withRendezvous();
      const home = await Deno.makeTempDir({ prefix: "tincan-tmux-" });
      try {
        await body(address.toString(), home);
      } finally {
        await killTmux();
        await stopAll(rendezvous);
        await Deno.remove(home, { recursive: true });
      }
    },
  });
}

tmuxTest(
  "/list, /msg, redraw of partial input, /verify, a room and its /history, /quit",
  async (address, home) => {
    const alice = await chat("alice", `${home}/alice`, address);
    const bob = await chat("bob", `${home}/bob`, address);
    await alice.waitForLine(/^Logged in as alice at /);
    await bob.waitForLine(/^Logged in as bob at /);

    // Both see each other in /list (everyone online, asked of the rendezvous).
    await alice.type("/list");
    await alice.waitForLine(/^Online: bob$/);
    await bob.type("/list");
    await bob.waitForLine(/^Online: alice$/);

    // alice → bob; now contacts, each follows the other's presence.
    await alice.type("/msg bob hello bob");
    await bob.waitForLine(/^\[\d\d:\d\d\] alice: hello bob$/);
    await alice.waitForLine(/^ {2}✓ delivered to bob \(direct\)$/);
    await alice.waitForLine(/^\* bob is online$/);

    // bob is typing when a message arrives: it appears above, his partial line is redrawn.
    await bob.type("/to alice");
    await bob.waitForLine(/^Now talking to alice/);
    // The prompt is the line above the status line, the last one.
    await bob.type("half typed", false);
    await bob.waitFor(
      "bob's partial input",
      (ls) => ls.at(-2) === "bob → alice> half typed" && STATUS.test(ls.at(-1)!),
    );
    await alice.type("/msg bob while you type");
    await bob.waitFor(
      "the message above bob's intact partial input",
      (ls) =>
        ls.at(-3)?.match(/^\[\d\d:\d\d\] alice: while you type$/) !== null &&
        ls.at(-2) === "bob → alice> half typed",
    );
    // The line editor kept it too: finishing the line sends all of it.
    await bob.type(" and finished");
    await alice.waitForLine(/^\[\d\d:\d\d\] bob: half typed and finished$/);

    // The same safety number on both screens.
    await alice.type("/verify bob");
    await bob.type("/verify alice");
    const seenByAlice = await alice.safetyNumber("bob");
    const seenByBob = await bob.safetyNumber("alice");
    assert.match(seenByAlice, /^(\d{5} ){11}\d{5}$/);
    assert.equal(seenByAlice, seenByBob);

    // A room: bob joins alice's, reads her message live and again in /history #den.
    await alice.type("/create #den");
    await alice.waitForLine(/^Created #den\./);
    await alice.type("/invite bob #den");
    await bob.waitForLine(/^\* alice invited you to #den: \/join #den to accept$/);
    await bob.type("/join #den");
    await alice.waitForLine(/^\* #den: bob joined$/);
    await alice.type("/msg #den hi den");
    await bob.waitForLine(/^\[\d\d:\d\d\] #den alice: hi den$/);
    await bob.type("/history #den");
    await bob.waitForLine(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] #den alice: hi den$/);

    // Unknown commands get a hint; /quit logs out and exits 0.
    await alice.type("/frobnicate");
    await alice.waitForLine(/^Unknown command \/frobnicate\. Type \/help/);
    await alice.type("/quit");
    await alice.waitForLine(/^\[exited 0\]$/);
    await bob.waitForLine(/^\* alice went offline$/);
    await bob.type("/quit");
    await bob.waitForLine(/^\[exited 0\]$/);
  },
);

tmuxTest(
  "a 100 KB paste, Tab, unread count, notification, Alt-1, ↑ history across a restart, Ctrl-C during a paste",
  async (address, home) => {
    const alice = await chat("alice", `${home}/alice`, address);
    const record = `${home}/alice.out`;
    await alice.record(record);
    let bob = await chat("bob", `${home}/bob`, address);
    // Presence is by interest: a first message makes them contacts, who follow each other.
    await bob.waitForLine(/^Logged in as bob at /);
    await alice.type("/msg bob hi");
    await bob.waitForLine(/^\[\d\d:\d\d\] alice: hi$/);
    await alice.waitForLine(/^\* bob is online$/);
    await bob.waitForLine(/^\* alice is online$/);

    // Tab completes a command, then a user name.
    await alice.type("/veri", false);
    await alice.keys("Tab");
    await alice.waitFor("/verify completed", (ls) => ls.at(-2) === "alice> /verify");
    await alice.type("b", false);
    await alice.keys("Tab");
    await alice.waitFor("bob completed", (ls) => ls.at(-2) === "alice> /verify bob");
    await alice.keys("Enter");
    await alice.safetyNumber("bob");

    // A message while alice looks at no conversation: an unread count and a notification.
    await bob.type("/to alice");
    await bob.type("ping from bob");
    await alice.waitForLine(/^\[\d\d:\d\d\] bob: ping from bob$/);
    await alice.waitFor("bob's unread count", (ls) => /\[1:bob 1\]/.test(ls.at(-1)!));
    const written = await Deno.readTextFile(record);
    assert.ok(written.includes("\x07"), "the bell rang");
    assert.ok(written.includes("]9;tincan: bob: ping from bob\x07"), "an OSC 9 notification");
    // Alt-1 switches to bob's conversation and marks it read.
    await alice.keys("M-1");
    await alice.waitFor(
      "bob's conversation",
      (ls) => ls.at(-2) === "alice → bob>" && / → 1:bob$/.test(ls.at(-1)!),
    );

    // 100 KB pasted: refused at once with the limit said; the chat stays connected.
    await alice.paste("x".repeat(100 * 1024), home);
    await alice.waitForLine(/^Paste refused: .* a message holds at most 65536 bytes/);
    // 2,000 characters on several lines fit: one message, delivered (bob is online).
    const lines = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(99, "y")).join("\n");
    await alice.paste(lines, home);
    await alice.keys("Enter");
    await bob.waitForLine(/^ {4}19y{97}$/);
    await alice.waitForLine(/^ {2}✓ delivered to bob/);
    await alice.waitFor("still connected", (ls) => / │ connected │ /.test(ls.at(-1)!));

    // ↑ recalls what bob typed, after a restart too.
    await bob.type("/quit");
    await bob.waitForLine(/^\[exited 0\]$/);
    bob = await chat("bob", `${home}/bob`, address);
    await bob.waitForLine(/^Logged in as bob at /);
    await bob.keys("Up");
    await bob.waitFor("the last line typed", (ls) => ls.at(-2) === "bob> /quit");
    await bob.keys("Up");
    await bob.waitFor("the one before", (ls) => ls.at(-2) === "bob> ping from bob");
    await bob.keys("C-u");

    // Ctrl-C in the middle of a paste that never ends: the chat quits cleanly.
    await bob.type("\x1b[200~half a paste", false);
    await bob.keys("C-c");
    await bob.waitForLine(/^\[exited 0\]$/);
    await alice.type("/quit");
    await alice.waitForLine(/^\[exited 0\]$/);
  },
);

tmuxTest(
  "/away and /contacts: away text to followers, in /list and /contacts",
  async (address, home) => {
    const alice = await chat("alice", `${home}/alice`, address);
    const bob = await chat("bob", `${home}/bob`, address);
    await alice.waitForLine(/^Logged in as alice at /);
    await bob.waitForLine(/^Logged in as bob at /);
    await alice.type("/contacts");
    await alice.waitForLine(/^No contacts yet: \/msg someone to start\.$/);

    // A first message makes them contacts: each follows the other from then on.
    await alice.type("/msg bob hi bob");
    await bob.waitForLine(/^\[\d\d:\d\d\] alice: hi bob$/);
    await alice.waitForLine(/^\* bob is online$/);
    await bob.waitForLine(/^\* alice is online$/);

    await bob.type("/away gone fishing");
    await bob.waitForLine(/^You are away: gone fishing$/);
    await alice.waitForLine(/^\* bob is away: gone fishing$/);
    await alice.type("/list");
    await alice.waitForLine(/^Online: bob \(away: gone fishing\)$/);
    await bob.type(`/away ${"x".repeat(201)}`);
    await bob.waitForLine(/Away text too long: 201 characters, at most 200/);

    // Two messages alice has not read yet.
    await bob.type("/msg alice one");
    await bob.type("/msg alice two");
    await alice.waitForLine(/^\[\d\d:\d\d\] bob: two$/);
    await alice.type("/contacts");
    await alice.waitForLine(/^Contacts \(1\):$/);
    await alice.waitForLine(/^ {2}bob {2}online, away: gone fishing · not verified · 2 unread$/);

    await bob.type("/away");
    await bob.waitForLine(/^You are back \(no away text\)\.$/);
    await alice.waitForLine(/^\* bob is back$/);
    await bob.type("/quit");
    await alice.waitForLine(/^\* bob went offline$/);
    await alice.type("/contacts");
    await alice.waitForLine(/^ {2}bob {2}offline · not verified · 2 unread$/);
    await alice.type("/quit");
  },
);
