/**
 * `tincan send-file` loose ends: an offer interrupted before it was accepted is withdrawn (the
 * recipient is told), and a re-run for the same file and recipient resumes an open offer instead
 * of making a second one.
 */
import assert from "node:assert/strict";
import { files } from "../../src/peer/files/file_transfers.ts";
import type { FileEvent } from "../../src/peer/files/events.ts";
import { childEnv, runTincan, spawnTincan } from "./cli_process.ts";
import { stopAll, waitFor, within, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";

Deno.test("send-file: Ctrl-C before acceptance withdraws the offer; a re-run resumes the open one, never a second offer", async () => {
  const { rendezvous, address } = await withRendezvous();
  const home = await Deno.makeTempDir({ prefix: "tincan-send-file-" });
  const inbox = await Deno.makeTempDir({ prefix: "tincan-inbox-" });
  const seen: FileEvent[] = [];
  const bob = await startPeer(address, "bob", {
    services: { files: files({ downloadDir: inbox }) },
    beforeStart: (peer) => peer.services.files.on((e) => seen.push(e)),
  });
  const env = childEnv({ TINCAN_RENDEZVOUS: address.toString() });
  const alice = ["--user", "alice", "--profile", `${home}/alice`];
  const source = `${home}/notes.txt`;
  await Deno.writeTextFile(source, "the notes\n".repeat(1000));
  const offers = () => seen.filter((e) => e.type === "file-offered");
  try {
    const registered = await runTincan(["register", ...alice], env);
    assert.equal(registered.code, 0, registered.stderr);

    // Interrupted while waiting: bob hears that alice withdrew it.
    const first = spawnTincan(["send-file", ...alice, "--to", "bob", source], env);
    await waitFor("the first offer", () => offers().length === 1, 30_000);
    await waitFor("send-file waiting", () => /waiting for bob/.test(first.stderr()), 30_000);
    const status = await first.kill("SIGINT");
    assert.equal(status.code, 1, first.stderr());
    assert.match(
      first.stderr(),
      /interrupted: the offer of notes\.txt is withdrawn \(bob is told\)/,
    );
    const withdrawn = offers()[0]!.transfer.id;
    await waitFor(
      "bob hears the withdrawal",
      () => seen.some((e) => e.type === "file-failed" && e.transfer.id === withdrawn),
      15_000,
    );
    assert.deepEqual(bob.peer.services.files.pending(), []);

    // Killed outright while waiting: the offer stays open; the re-run resumes it.
    const second = spawnTincan(["send-file", ...alice, "--to", "bob", source], env);
    await waitFor("the second offer", () => offers().length === 2, 30_000);
    await waitFor("send-file waiting", () => /waiting for bob/.test(second.stderr()), 30_000);
    await second.kill("SIGKILL");
    const open = offers()[1]!.transfer.id;
    const third = spawnTincan(["send-file", ...alice, "--to", "bob", source], env);
    await waitFor(
      "the re-run resumes",
      () => /resuming the offer of notes\.txt to bob/.test(third.stderr()),
      30_000,
    );
    await bob.peer.services.files.accept(open);
    const done = await within("the re-run to finish", third.status, 30_000);
    assert.equal(done.code, 0, third.stderr());
    assert.equal(third.stdout(), "complete\n");
    assert.equal(offers().length, 2, "no second offer of the same file");
    assert.equal(
      await Deno.readTextFile(`${inbox}/notes.txt`),
      await Deno.readTextFile(source),
    );
  } finally {
    await stopAll(bob, rendezvous);
    await Deno.remove(home, { recursive: true });
    await Deno.remove(inbox, { recursive: true });
  }
});
