/**
 * A newer login of the same user replaces the older one (rendezvous replaced_logins.ts): the
 * older peer is told, says so once, and does not log in again by itself — otherwise two peers on
 * one key would take turns replacing each other, about once a second, for ever.
 */
import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import { openProfile } from "../../src/peer/profile.ts";
import { stopAll, withRendezvous } from "./harness.ts";
import { startPeer } from "./peer_harness.ts";

Deno.test("replaced login: the older peer is told, stops, and the newer stays logged in", async () => {
  const { rendezvous, address } = await withRendezvous();
  // The same identity in two profile directories: another machine with alice's key.
  const dir = await Deno.makeTempDir({ prefix: "tincan-alice-" });
  (await openProfile(dir)).close();
  const copyDir = await Deno.makeTempDir({ prefix: "tincan-alice-copy-" });
  await cp(dir, copyDir, { recursive: true });
  const first = await startPeer(address, "alice", { profileDir: dir });
  let second: Awaited<ReturnType<typeof startPeer>> | undefined;
  try {
    second = await startPeer(address, "alice", { profileDir: copyDir });
    const told = await first.next("notice", (n) => n.text.startsWith("logged out:"));
    assert.match(told.text, /not logging in again/);
    // Give a peer that would reconnect time to do it (its first retry comes within 2 s).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(
      rendezvous.loggedIn.usernameOf(second.peer.node.peerId.toString()),
      "alice",
      "the newer login still holds",
    );
    assert.equal(
      first.events.filter((e) => e.type === "notice" && e.text.startsWith("logged out:")).length,
      1,
      "told once, no flapping",
    );
    assert.equal(
      second.events.some((e) => e.type === "notice" && /logged out/.test(e.text)),
      false,
    );
  } finally {
    await stopAll(first, second, rendezvous);
  }
});
