/**
 * What arrives while a user is away is shown when the chat starts again: bob quits; alice sends
 * him two messages, one to their room and a file; bob's next chat shows all four under one
 * marker with the count per conversation, before anything new, and the status line counts them
 * unread.
 */
import assert from "node:assert/strict";
import { stopAll, withRendezvous } from "./harness.ts";
import { killTmux, Pane, tmuxAvailable } from "./tmux_pane.ts";

const HAS_TMUX = await tmuxAvailable();

Deno.test({
  name: HAS_TMUX
    ? "chat in a real terminal: messages, room messages and file offers that came while away are shown at login"
    : "chat shows what came while away (IGNORED: tmux is not installed)",
  ignore: !HAS_TMUX,
  async fn() {
    const { rendezvous, address } = await withRendezvous();
    const home = await Deno.makeTempDir({ prefix: "tincan-away-" });
    const chat = (user: string) =>
      Pane.start(user, [
        "chat",
        "--user",
        user,
        "--profile",
        `${home}/${user}`,
        "--rendezvous",
        address.toString(),
      ]);
    try {
      await Deno.writeTextFile(`${home}/notes.txt`, "notes for bob\n");
      const alice = await chat("alice");
      let bob = await chat("bob");
      // A first start registers, and says so.
      await bob.waitForLine(/^Registered bob at .*: a new account\.$/);
      await bob.waitForLine(/^Logged in as bob at /);
      await alice.type("/create #dev");
      await alice.waitForLine(/^Created #dev\./);
      await alice.type("/invite bob #dev");
      // Presence is by interest: alice follows bob once he is in her room.
      await alice.waitForLine(/^\* bob is online$/);
      await bob.waitForLine(/^\* alice invited you to #dev/);
      await bob.type("/join #dev");
      await alice.waitForLine(/^\* #dev: bob joined$/);
      await bob.type("/quit");
      await bob.waitForLine(/^\[exited 0\]$/);
      await alice.waitForLine(/^\* bob went offline$/);
      await bob.kill();

      // While bob is away.
      await alice.type("/msg bob first while away");
      await alice.type("/msg bob second while away");
      await alice.waitFor(
        "both queued",
        (ls) => ls.filter((l) => /is offline: queued/.test(l)).length === 2,
      );
      await alice.type("/msg #dev room while away");
      await alice.type(`/file bob ${home}/notes.txt`);
      await alice.waitForLine(/^Offered notes\.txt/);

      bob = await chat("bob");
      const marker = /^— 4 messages while you were away \(alice 3, #dev 1\) —$/;
      const lines = await bob.waitFor(
        "the away marker and what follows it",
        (ls) => ls.some((l) => marker.test(l)) && ls.includes("— now —"),
      );
      assert.ok(!lines.some((l) => /^Registered bob/.test(l)), "a later start only logs in");
      const block = lines.slice(lines.findIndex((l) => marker.test(l)), lines.indexOf("— now —"));
      assert.ok(
        block.some((l) => /^\[\d\d:\d\d\] alice: first while away$/.test(l)),
        block.join("\n"),
      );
      assert.ok(
        block.some((l) => /^\[\d\d:\d\d\] alice: second while away$/.test(l)),
        block.join("\n"),
      );
      assert.ok(
        block.some((l) => /^\[\d\d:\d\d\] #dev alice: room while away$/.test(l)),
        block.join("\n"),
      );
      assert.ok(block.some((l) => /^alice offers notes\.txt/.test(l)), block.join("\n"));
      // The status line starts with them unread, per conversation; Alt-1 reads alice's.
      await bob.waitFor(
        "the unread counts in the status line",
        (ls) => / │ → nobody \(\/to <user>\) │ \[1:alice 3\] \[2:#dev 1\]/.test(ls.at(-1)!),
      );
      await bob.keys("M-1");
      await bob.waitFor(
        "alice's conversation read",
        (ls) => / │ → 1:alice │ \[2:#dev 1\]/.test(ls.at(-1)!),
      );
      // The messages are after the login line, and alice's side saw them delivered.
      const loggedIn = lines.findLastIndex((l) => /^Logged in as bob at /.test(l));
      assert.ok(loggedIn >= 0 && loggedIn < lines.findIndex((l) => marker.test(l)));
      await alice.waitFor(
        "both delivered",
        (ls) => ls.filter((l) => /✓ delivered to bob/.test(l)).length >= 2,
      );
      await bob.type("/quit");
      await bob.waitForLine(/^\[exited 0\]$/);
      await alice.type("/quit");
      await alice.waitForLine(/^\[exited 0\]$/);
    } finally {
      await killTmux();
      await stopAll(rendezvous);
      await Deno.remove(home, { recursive: true });
    }
  },
});
