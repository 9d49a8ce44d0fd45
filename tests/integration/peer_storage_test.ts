/**
 * A peer whose database fails under it: a full disk (SQLite's page limit) is waited out with the
 * mail left at the rendezvous and one notice, and nothing is lost once space is back; damaged
 * pages under a live peer stop it with an error naming the file and the recovery, and the next
 * start refuses the profile (quick_check).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openProfile } from "../../src/peer/profile.ts";
import { ProfileError } from "../../src/peer/profile_errors.ts";
import { checkpoint, damagePages } from "../peer/profile_damage.ts";
import { capPages, uncapPages } from "../store/cap_pages.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer, type TestPeer } from "./peer_harness.ts";

Deno.test("a full disk: mail waits at the rendezvous, the user is told, and it arrives once there is space", async () => {
  const { rendezvous, address } = await withRendezvous();
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  const alice = await startPeer(address, "alice");
  let bob: TestPeer | undefined = await startPeer(address, "bob", { profileDir: bobDir });
  try {
    await bob.stop();
    const texts = ["a", "b", "c"].map((c) => c.repeat(40_000));
    const ids: string[] = [];
    for (const text of texts) ids.push(await alice.peer.send("bob", text));
    for (const id of ids) await alice.next("queued", (e) => e.id === id, 30_000);

    const profile = await openProfile(bobDir);
    capPages(profile.db, 8); // room for the login, not for 40 kB messages
    bob = await startPeer(address, "bob", { profileDir: bobDir, profile });
    const notice = await bob.next("notice", (n) => n.text.startsWith("disk full"), 30_000);
    assert.match(notice.text, /^disk full: 3 messages waiting at the rendezvous/);
    assert.equal(notice.fatal, undefined);
    assert.equal(bob.events.filter((e) => e.type === "message").length, 0);
    assert.doesNotThrow(() => bob!.peer.node); // still running

    uncapPages(profile.db); // space is back: the next mail poll stores them
    for (const id of ids) await alice.next("delivered", (e) => e.id === id, 60_000);
    const history = await bob.peer.history("alice", 10);
    assert.deepEqual(history.map((h) => h.text), texts);
    assert.ok(bob.events.some((e) => e.type === "notice" && /space is back/.test(e.text)));
  } finally {
    await stopAll(bob, alice, rendezvous);
  }
});

Deno.test("damaged pages under a live peer stop it, naming the file and the recovery", async () => {
  const { rendezvous, address } = await withRendezvous();
  const bobDir = await Deno.makeTempDir({ prefix: "tincan-bob-" });
  const alice = await startPeer(address, "alice");
  await (await startPeer(address, "bob", { profileDir: bobDir })).stop();
  // Started again: its connection has read only what the login needs (a new profile's
  // connection holds the pages it created), so the damage is what SQLite reads next.
  const bob = await startPeer(address, "bob", { profileDir: bobDir });
  try {
    checkpoint(bob.profile.db); // the WAL folded in: every page is in peer.db
    await damagePages(join(bobDir, "peer.db"), 1);
    const id = await alice.peer.send("bob", "are you there?");
    const fatal = await bob.next("notice", (n) => n.fatal === true, 30_000);
    assert.match(
      fatal.text,
      new RegExp(`peer\\.db is damaged \\(database disk image is malformed\\)`),
    );
    assert.match(fatal.text, new RegExp(join(bobDir, "peer.db").replaceAll("/", "\\/")));
    assert.match(fatal.text, /tincan profile repair --profile/);
    await waitStopped(bob);
    assert.equal(bob.events.filter((e) => e.type === "notice" && e.fatal).length, 1);
    assert.ok(!bob.events.some((e) => e.type === "message"));
    // alice's message is not lost: it waits in her outbox
    assert.ok(!alice.events.some((e) => e.type === "delivered" && e.id === id));
    await bob.stop();
    await assert.rejects(() => openProfile(bobDir), (err: unknown) => {
      assert.ok(err instanceof ProfileError);
      assert.match(err.message, /peer\.db: it is damaged/);
      return true;
    });
  } finally {
    await stopAll(bob, alice, rendezvous);
  }
});

/** Waits until `peer` has stopped by itself. */
async function waitStopped(peer: TestPeer): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      void peer.peer.node;
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new assert.AssertionError({ message: "the peer did not stop" });
}
