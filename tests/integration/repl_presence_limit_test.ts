/**
 * The REPL on a real peer and rendezvous: a message to one more user than MAX_FOLLOWED still
 * goes, and the user is told that presence is no longer followed for the newest (it was only
 * logged before).
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { startRepl } from "../../src/cli/repl/repl.ts";
import { MAX_FOLLOWED } from "../../src/protocol/limits.ts";
import { stopAll, waitFor, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";

Deno.test("repl: going over MAX_FOLLOWED is shown on the screen; the message still goes", async () => {
  const { rendezvous, address } = await withRendezvous();
  const alice = await startPeer(address, "alice");
  const bob = await startPeer(address, "bob");
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = "";
  output.on("data", (chunk: Uint8Array | string) => screen += String(chunk));
  const repl = startRepl(alice.peer, { input, output, color: false });
  try {
    await alice.peer.follow(Array.from({ length: MAX_FOLLOWED }, (_, i) => `user-${i}`));
    input.write("/msg bob hello\n");
    await bob.next("message", (e) => e.text === "hello");
    await waitFor("the notice on alice's screen", () => /Cannot follow/.test(screen));
    assert.match(
      screen,
      new RegExp(
        `Cannot follow ${MAX_FOLLOWED + 1} users' presence: at most ${MAX_FOLLOWED} ` +
          `\\(contacts and room members\\); the newest are not followed`,
      ),
    );
  } finally {
    input.write("/quit\n");
    await repl.closed;
    await stopAll(alice, bob, rendezvous);
  }
});
