import assert from "node:assert/strict";
import { join } from "node:path";
import { openProfile } from "../../src/peer/profile.ts";
import { inspectProfile } from "../../src/peer/profile_check.ts";
import { ProfileError } from "../../src/peer/profile_errors.ts";
import { repairProfile } from "../../src/peer/profile_repair.ts";
import { ContactStore } from "../../src/peer/store/contacts.ts";
import { checkpoint, damagePages } from "./profile_damage.ts";

Deno.test("repair keeps the identity, moves the damaged files aside and says what is lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-repair-" });
  try {
    const profile = await openProfile(dir);
    const peerId = profile.peerId.toString();
    const contacts = new ContactStore(profile.db);
    contacts.pin("alice", new Uint8Array(32).fill(1), 1);
    contacts.pin("carol", new Uint8Array(32).fill(2), 1);
    checkpoint(profile.db);
    profile.close();
    await Deno.remove(join(dir, "storage.key"));

    const report = await repairProfile(dir, new Date("2026-01-02T03:04:05Z"));
    assert.equal(report.repaired, true);
    assert.match(report.problems, /storage\.key: it is missing/);
    assert.equal(report.movedTo, join(dir, "damaged-2026-01-02T03-04-05.000Z"));
    assert.ok(
      report.lost.some((line) => /^2 pinned contact keys/.test(line)),
      report.lost.join("\n"),
    );
    assert.ok(report.lost.some((line) => /sessions/.test(line)));
    assert.ok((await Deno.stat(join(report.movedTo!, "peer.db"))).isFile);

    assert.equal((await inspectProfile(dir)).state, "ok");
    const repaired = await openProfile(dir);
    assert.equal(repaired.peerId.toString(), peerId);
    assert.equal(new ContactStore(repaired.db).get("alice"), undefined);
    repaired.close();

    assert.equal((await repairProfile(dir)).repaired, false); // healthy: nothing touched
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repair of an unreadable peer.db says what is lost without counting", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-repair-" });
  try {
    const profile = await openProfile(dir);
    const contacts = new ContactStore(profile.db);
    for (let i = 0; i < 100; i++) contacts.pin(`user${i}`, new Uint8Array(32).fill(i), 1);
    checkpoint(profile.db);
    profile.close();
    await damagePages(join(dir, "peer.db"), 1);
    const report = await repairProfile(dir);
    assert.equal(report.repaired, true);
    assert.match(report.problems, /peer\.db: it is damaged/);
    assert.match(report.lost.join("\n"), /conversation history/);
    (await openProfile(dir)).close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repair refuses without an identity to keep, and without a profile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tincan-repair-" });
  try {
    await assert.rejects(() => repairProfile(dir), /There is no tincan profile/);
    (await openProfile(dir)).close();
    await Deno.remove(join(dir, "identity.key"));
    await assert.rejects(() => repairProfile(dir), (err: unknown) => {
      assert.ok(err instanceof ProfileError);
      assert.match(err.message, /identity\.key: it is missing/);
      assert.match(err.message, /Restore identity\.key from a backup/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
